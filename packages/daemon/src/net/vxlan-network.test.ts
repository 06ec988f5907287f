/**
 * A vxlan network across two hosts, end to end, in six namespaces standing in for machines:
 * "hostA" and "hostB" are joined by a veth pair (the underlay, 10.213.77.0/24) and each runs the
 * network reconciler's real work (bridge, VXLAN device, flood list, nftables, dnsmasq) against
 * one shared database, as two daemons of a cluster do; "guestA" on hostA and "guestB" on hostB
 * stand in for VMs, attached to their host's bridge by a veth pair as a tap would attach them.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HerdError } from '@herd/api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostRepo } from '../cluster/host-repo.js';
import { EventLog } from '../events/event-log.js';
import { run } from '../host/exec.js';
import { NetworkReconciler } from '../networks/network-reconciler.js';
import { NetworkRepo } from '../networks/network-repo.js';
import { NetworkService } from '../networks/network-service.js';
import { NicRepo } from '../networks/nic-repo.js';
import { HostUnderlay } from '../networks/underlay.js';
import { openDatabase, type Db } from '../store/open-database.js';
import type { NetworkRow } from '../store/schema.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { listDnsmasq, stopDnsmasq } from './dnsmasq.js';
import { tapName, vxlanName } from './link-names.js';
import { listLinks, readLink } from './links.js';
import type { NetExec } from './net-exec.js';
import { applyTables, deleteTable, listTables, overlayTableName, SECURITY_GROUP_TABLES, securityGroupRuleset } from './nftables.js';
import { netnsUnavailable, TestNamespaces } from './testing/test-netns.js';
import { floodPeers, overlayGatewayMac } from './vxlan.js';

const underlay = { a: '10.213.77.1', b: '10.213.77.2' };
const cidr = '10.61.0.0/24';
const gateway = '10.61.0.1';
const vni = 4242;
const guests = {
  a: { vm: '11111111-1111-4111-8111-111111111111', nic: 'a0a0a0a0-0000-4000-8000-00000000000a', mac: '52:54:00:61:00:0a', ip: '10.61.0.10', name: 'web' },
  b: { vm: '22222222-2222-4222-8222-222222222222', nic: 'b0b0b0b0-0000-4000-8000-00000000000b', mac: '52:54:00:61:00:0b', ip: '10.61.0.20', name: 'db' },
} as const;
type Side = keyof typeof guests;

describe('a vxlan network across two hosts in network namespaces', async () => {
  const skip = await netnsUnavailable();
  const spaces = new TestNamespaces();
  const ns = { hostA: '', hostB: '', guestA: '', guestB: '' };
  const exec: Record<Side, NetExec> = {} as Record<Side, NetExec>;
  const reconcilers: Partial<Record<Side, NetworkReconciler>> = {};
  const log = pino({ level: 'silent' });
  let root = '';
  let db: Db;
  let events: EventLog;
  let networks: NetworkRepo;
  let nics: NicRepo;
  let service: NetworkService;
  let net: NetworkRow;

  const hostNs = (s: Side) => (s === 'a' ? ns.hostA : ns.hostB);
  const guestNs = (s: Side) => (s === 'a' ? ns.guestA : ns.guestB);
  const inNs = (netns: string, ...cmd: string[]) => run('ip', ['netns', 'exec', netns, ...cmd], { allowFailure: true, timeoutMs: 20_000 });

  /** One reconcile pass of the network on host `s`; fails the test with the network's error. */
  async function realise(s: Side, id = net.id): Promise<void> {
    await reconcilers[s]!.reconcile(id);
    const row = await networks.get(id);
    expect(row?.error ?? null, `network on host ${s}`).toBeNull();
  }

  async function ping(from: Side, address: string, size?: number): Promise<boolean> {
    const r = await inNs(guestNs(from), 'busybox', 'ping', '-c', '1', '-W', '1', ...(size !== undefined ? ['-s', String(size)] : []), address);
    return r.code === 0;
  }

  /**
   * Asks for a lease from inside guest `s` as a VM's DHCP client would, without configuring
   * anything, asking for the MTU as clients that honour it do.
   */
  async function dhcp(s: Side, tries = 3): Promise<string> {
    const r = await inNs(guestNs(s), 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-t', String(tries), '-T', '1', '-O', 'mtu', '-s', join(root, 'lease.sh'));
    return /^bound .*$/m.exec(r.stdout + r.stderr)?.[0] ?? '';
  }

  /** One ARP request (a broadcast) for the gateway from guest `s`: how many were sent and how many answers came within a second. */
  async function arpGateway(s: Side): Promise<{ sent: number; received: number }> {
    const r = await inNs(guestNs(s), 'busybox', 'arping', '-c', '1', '-w', '1', '-I', 'eth0', gateway);
    const count = (re: RegExp) => Number(re.exec(r.stdout)?.[1] ?? NaN);
    return { sent: count(/Sent (\d+) probe/), received: count(/Received (\d+) response/) };
  }

  beforeAll(async () => {
    if (skip) return;
    for (const role of ['hostA', 'hostB', 'guestA', 'guestB'] as const) ns[role] = await spaces.add(role);
    exec.a = spaces.exec(ns.hostA);
    exec.b = spaces.exec(ns.hostB);
    await spaces.veth(ns.hostA, 'u0', ns.hostB, 'u0');
    for (const s of ['a', 'b'] as const) {
      await spaces.ip(hostNs(s), 'addr', 'add', `${underlay[s]}/24`, 'dev', 'u0');
      await spaces.ip(hostNs(s), 'link', 'set', 'dev', 'u0', 'up');
    }

    root = await mkdtemp(join(tmpdir(), 'herd-vxlan-'));
    // dnsmasq runs as nobody and must reach its files.
    await chmod(root, 0o755);
    await run('sh', ['-c', `printf '#!/bin/sh\\n[ "$1" = bound ] && echo "bound ip=$ip mask=$subnet router=$router dns=$dns mtu=$mtu"\\nexit 0\\n' > ${root}/lease.sh && chmod 755 ${root}/lease.sh`]);
    db = await openDatabase(join(root, 'herd.db'));
    events = new EventLog(db);
    networks = new NetworkRepo(db, events);
    nics = new NicRepo(db);
    // The reconciler reads VMs only for their names, which become the DNS names of their NICs.
    const vms = { get: async (id: string) => Object.values(guests).find((g) => g.vm === id) } as unknown as VmRepo;
    const hosts = new HostRepo(db, events);
    for (const s of ['a', 'b'] as const) {
      const now = new Date().toISOString();
      await hosts.register(
        {
          name: `host-${s}`,
          address: `https://${underlay[s]}:8443`,
          accel: 'tcg',
          accelPreference: 'auto',
          accelReason: 'test',
          kvmUsable: false,
          dataDir: join(root, s),
          herdVersion: 'test',
          qemuVersion: 'test',
          kernel: 'test',
          cpus: 1,
          memoryMiB: 1024,
          diskGiB: 1,
          loadCpu: null,
          pools: [],
          networks: [],
        },
        { startedAt: now, leaseMs: 600_000 },
      );
      // As each daemon wires it: peers and its own address from the hosts table.
      const hostUnderlay = new HostUnderlay(db, `host-${s}`, undefined, log);
      reconcilers[s] = new NetworkReconciler({
        networks,
        nics,
        vms,
        exec: exec[s],
        dirOf: (id) => join(root, s, 'networks', id),
        networksRoot: join(root, s, 'networks'),
        peers: () => hostUnderlay.peers(),
        localUnderlay: () => hostUnderlay.localUnderlay(),
        log,
      });
      await run('mkdir', ['-p', '-m', '755', join(root, s, 'networks')]);
    }
    service = new NetworkService({ networks, nics, vms, unavailable: undefined, reconcileNow: async (id) => void (await reconcilers.a!.reconcile(id)) });
  }, 60_000);

  async function cleanUp(): Promise<void> {
    for (const d of root ? listDnsmasq(root) : []) await stopDnsmasq(d.pid);
    await spaces.removeAll();
    events?.close();
    await db?.destroy();
    if (root) await rm(root, { recursive: true, force: true });
  }
  afterAll(cleanUp, 30_000);

  it.skipIf(skip)('is made through host A with the VNI asked for, which no other network may take then', async () => {
    const created = await service.create({ name: 'overlay', type: 'vxlan', cidr, vni });
    expect(created).toMatchObject({ type: 'vxlan', vni, mtu: 1450, gateway, status: { state: 'ready' } });
    net = (await networks.get(created.id))!;
    const taken = await service.create({ name: 'other', type: 'vxlan', cidr: '10.62.0.0/24', vni }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(HerdError);
    expect(taken).toMatchObject({ code: 'address_conflict', message: "VNI 4242 is already used by network 'overlay'; choose another or leave vni out to get a free one" });
  });

  it.skipIf(skip)('each host has a bridge with the same gateway address and MAC, and a VXLAN port flooding to the other host', async () => {
    for (const g of Object.values(guests)) {
      await nics.insert({ id: g.nic, vm_id: g.vm, network_id: net.id, mac: g.mac, ip: g.ip, position: 0, security_groups: '[]', created_at: new Date().toISOString() });
    }
    await realise('a');
    await realise('b');
    for (const s of ['a', 'b'] as const) {
      const bridge = await readLink(exec[s], net.bridge);
      expect(bridge).toMatchObject({ kind: 'bridge', mtu: 1450, up: true, mac: overlayGatewayMac(net.id), ipv4: [`${gateway}/24`] });
      const vx = await readLink(exec[s], vxlanName(net.id));
      expect(vx).toMatchObject({ kind: 'vxlan', mtu: 1450, master: net.bridge, vxlan: { vni, local: underlay[s], port: 4789, learning: false } });
      expect(await floodPeers(exec[s], vxlanName(net.id))).toEqual([underlay[s === 'a' ? 'b' : 'a']]);
    }
    // A second pass changes nothing.
    await realise('a');
    expect(await floodPeers(exec.a, vxlanName(net.id))).toEqual([underlay.b]);

    for (const s of ['a', 'b'] as const) {
      const port = tapName(guests[s].nic);
      await spaces.veth(hostNs(s), port, guestNs(s), 'eth0');
      // What ensureTap does for a tap: the network's MTU, a port of its bridge.
      await spaces.ip(hostNs(s), 'link', 'set', 'dev', port, 'mtu', '1450', 'master', net.bridge, 'up');
      // What virtio-net's host_mtu does in the guest.
      await spaces.ip(guestNs(s), 'link', 'set', 'dev', 'eth0', 'address', guests[s].mac, 'mtu', '1450', 'up');
    }
  });

  it.skipIf(skip)("each guest gets its fixed address and the network's MTU from its host's dnsmasq, and no route out", async () => {
    for (const s of ['a', 'b'] as const) {
      expect(await dhcp(s)).toBe(`bound ip=${guests[s].ip} mask=255.255.255.0 router= dns=${gateway} mtu=1450`);
      // udhcpc only reported the lease; configure it as the guest's DHCP client script would.
      await spaces.ip(guestNs(s), 'addr', 'add', `${guests[s].ip}/24`, 'dev', 'eth0');
    }
  });

  it.skipIf(skip)('the guests reach each other across the hosts, and 1450-byte packets with DF set pass', async () => {
    expect(await ping('a', guests.b.ip)).toBe(true);
    expect(await ping('b', guests.a.ip)).toBe(true);
    expect(await ping('a', gateway)).toBe(true);
    // Count what leaves host A by the VXLAN port at the full MTU with Don't Fragment set.
    const table = [{ family: 'bridge' as const, name: 'herd-t-df', body: `\tchain c {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\toifname "${vxlanName(net.id)}" ip length 1450 ip frag-off & 0x4000 != 0 counter\n\t}\n` }];
    await applyTables(exec.a, table);
    expect(await ping('a', guests.b.ip, 1422)).toBe(true);
    const listed = await exec.a.run('nft', ['list', 'table', 'bridge', 'herd-t-df']);
    expect(Number(/counter packets (\d+)/.exec(listed.stdout)?.[1])).toBe(1);
    await deleteTable(exec.a, 'bridge', 'herd-t-df');
  });

  it.skipIf(skip)("the gateway's frames stay on their host: one answer per ARP request and per DHCP request, from the guest's own host", async () => {
    expect(await arpGateway('a')).toEqual({ sent: 1, received: 1 });
    // Without the overlay table the kernel forwards host B's answers to guest A too: a bridge
    // that receives a frame from its own MAC only logs it.
    for (const s of ['a', 'b'] as const) await deleteTable(exec[s], 'bridge', overlayTableName(net.bridge));
    expect(await arpGateway('a')).toEqual({ sent: 1, received: 2 });
    await realise('a');
    await realise('b');
    expect(await arpGateway('a')).toEqual({ sent: 1, received: 1 });

    // With host A's dnsmasq gone, guest A gets no answer: host B's does not cross. The next pass starts it again.
    for (const d of listDnsmasq(join(root, 'a'))) await stopDnsmasq(d.pid);
    expect(await dhcp('a', 1)).toBe('');
    await realise('a');
    expect(await dhcp('a')).toMatch(new RegExp(`^bound ip=${guests.a.ip} `));
  });

  it.skipIf(skip)('security groups filter a guest on a vxlan network as on any other', async () => {
    const filter = (rules: Parameters<typeof securityGroupRuleset>[0][number]['rules']) =>
      applyTables(exec.a, securityGroupRuleset([{ tap: tapName(guests.a.nic), bridge: net.bridge, rules }]));
    await filter([]);
    expect(await ping('b', guests.a.ip)).toBe(false);
    // Outbound is allowed and its replies come back.
    expect(await ping('a', guests.b.ip)).toBe(true);
    await filter([{ direction: 'ingress', protocol: 'icmp' }]);
    expect(await ping('b', guests.a.ip)).toBe(true);
    for (const t of SECURITY_GROUP_TABLES) await deleteTable(exec.a, t.family, t.name);
  });

  it.skipIf(skip)('a host that goes offline leaves the flood list on the next pass, and comes back with it', async () => {
    await db.updateTable('hosts').set({ status: 'offline' }).where('name', '=', 'host-b').execute();
    await realise('a');
    expect(await floodPeers(exec.a, vxlanName(net.id))).toEqual([]);
    expect(await ping('a', guests.b.ip)).toBe(false);
    await db.updateTable('hosts').set({ status: 'online' }).where('name', '=', 'host-b').execute();
    await realise('a');
    expect(await floodPeers(exec.a, vxlanName(net.id))).toEqual([underlay.b]);
    expect(await ping('a', guests.b.ip)).toBe(true);
  });

  it.skipIf(skip)('a guest moved to the other host keeps its gateway (same address and MAC) and gets the same lease there', async () => {
    const mac = overlayGatewayMac(net.id);
    // Pin the guest's ARP entry: only a gateway with the very same MAC can answer now.
    await spaces.ip(ns.guestA, 'neigh', 'replace', gateway, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent');
    const port = tapName(guests.a.nic);
    await spaces.ip(ns.hostA, 'link', 'set', 'dev', port, 'netns', ns.hostB);
    await spaces.ip(ns.hostB, 'link', 'set', 'dev', port, 'mtu', '1450', 'master', net.bridge, 'up');
    expect(await ping('a', gateway)).toBe(true);
    expect(await ping('a', guests.b.ip)).toBe(true);
    expect(await dhcp('a')).toMatch(new RegExp(`^bound ip=${guests.a.ip} `));
  });

  it.skipIf(skip)('deleting it through host A tears down host A at once, and host B at its next refresh', async () => {
    for (const g of Object.values(guests)) await nics.remove(g.nic);
    await service.delete('overlay');
    expect(await listLinks(exec.a, 'hx-')).toEqual([]);
    expect(await listLinks(exec.a, 'hb-')).toEqual([]);
    expect((await listTables(exec.a, 'herd-')).map((t) => t.name)).toEqual([]);
    expect(listDnsmasq(join(root, 'a'))).toEqual([]);
    // Host B still has its part until its periodic sweep notices the record is gone.
    expect(await listLinks(exec.b, 'hx-')).toEqual([vxlanName(net.id)]);
    expect(await reconcilers.b!.sweepOverlays()).toEqual([`vxlan network on ${net.bridge}`]);
    expect(await listLinks(exec.b, 'hx-')).toEqual([]);
    expect(await listLinks(exec.b, 'hb-')).toEqual([]);
    expect((await listTables(exec.b, 'herd-')).map((t) => t.name)).toEqual([]);
    expect(listDnsmasq(join(root, 'b'))).toEqual([]);
  });

  it.skipIf(skip)('leaves nothing behind: namespaces, processes, files', async () => {
    await cleanUp();
    expect(await spaces.remaining()).toEqual([]);
  });
});
