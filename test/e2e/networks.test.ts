/**
 * Networks end to end, all inside network namespaces this test makes: the daemon (with its
 * QEMUs, bridges, taps, nftables rules and dnsmasq) runs in namespace "host"; namespace "inet"
 * plays the internet behind it. Real tiny guests get addresses by DHCP, find each other by name,
 * reach the internet through the NAT (or not, when isolated), and are fenced by security groups.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { HerdError, type Operation, type Vm } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { guestShell } from '../helpers/guest-shell.js';
import { inNs, linkNetns, makeNetns } from '../helpers/netns.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

const host = makeNetns('herd-h');
const inet = makeNetns('herd-i');
const daemon = new DaemonProcess();
const shell = guestShell(daemon);
const sh = (vm: string, cmd: string, quietMs = 1500) => shell.sh(vm, cmd, quietMs);
const booted = shell.booted;
let server: ChildProcess | undefined;

beforeAll(async () => {
  // The internet: 203.0.113.1 in "inet", serving a page; the daemon's namespace routes to it.
  linkNetns({ ns: host.name, dev: 'uplink', addr: '203.0.113.2' }, { ns: inet.name, dev: 'isp', addr: '203.0.113.1' });
  inNs(host.name, ['ip', 'route', 'add', 'default', 'via', '203.0.113.1']);
  const www = join(daemon.dataDir, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'hello.txt'), 'hello from the internet\n');
  server = spawn('ip', ['netns', 'exec', inet.name, 'busybox', 'httpd', '-f', '-p', '80', '-h', www], { stdio: 'ignore' });
  await daemon.start([], { netns: host.name });
  const build = await daemon.cli(['image', 'build', 'tiny']);
  expect(build.code, build.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await daemon.destroy();
  server?.kill();
  host.remove();
  inet.remove();
});



/** An HTTP GET from inside the guest (busybox nc; its wget crashes on some hosts): the body, or 'blocked'. */
function httpGet(vm: string, hostPort: string, path: string): Promise<string> {
  const [h, p] = hostPort.split(':');
  return sh(vm, `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${h} ${p ?? 80} 2>/dev/null | tail -n 1 | grep . || echo blocked`, 5000);
}

/** The guest's IPv4 address on `dev`, once DHCP has given it one. */
async function guestAddress(vm: string, dev = 'eth0'): Promise<string> {
  return waitFor(`${vm} ${dev} address`, async () => {
    const out = await sh(vm, `ip -4 -o addr show dev ${dev} | awk '{print $4}'`);
    return /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(out) ? out.split('/')[0] : undefined;
  }, 60_000, 1000);
}

async function op(p: Promise<Operation>): Promise<Operation> {
  const o = await p;
  expect(o.status, JSON.stringify(o.error)).toBe('succeeded');
  return o;
}

const wait = { wait: true, timeoutSeconds: 300 } as const;
const vmOf = (name: string): Promise<Vm> => daemon.client.call('getVm', { params: { id: name } });
const bad = async (p: Promise<unknown>, status: number, re: RegExp) => {
  const e = (await p.catch((x: unknown) => x)) as HerdError;
  expect(e, String(e)).toBeInstanceOf(HerdError);
  expect(e.status).toBe(status);
  expect(e.message).toMatch(re);
};

describe('a NAT network', () => {
  it('is the default network, with a bridge, masquerade rules and a DHCP/DNS server', async () => {
    const nets = await daemon.client.call('listNetworks');
    const d = nets.find((n) => n.name === 'default')!;
    expect(d).toMatchObject({ type: 'nat', status: { state: 'ready', error: null } });
    const links = inNs(host.name, ['ip', '-j', 'link']);
    expect(links).toContain(d.bridge);
    expect(inNs(host.name, ['nft', 'list', 'tables'])).toContain(`herd-nat-${d.bridge}`);
    expect(inNs(host.name, ['ps', '-eo', 'args'])).toMatch(new RegExp(`dnsmasq.*${d.id}`));
  });

  it('gives VMs addresses by DHCP; they ping each other by address and by name', async () => {
    expect((await daemon.cli(['vm', 'create', 'na', '--image', 'tiny', '--memory', '128M', '--start'])).code).toBe(0);
    expect((await daemon.cli(['vm', 'create', 'nb', '--image', 'tiny', '--memory', '128M', '--network', 'default,ip=10.177.0.50', '--start'])).code).toBe(0);
    await booted('na');
    await booted('nb');
    const a = await vmOf('na');
    const b = await vmOf('nb');
    expect(a.spec.nics).toHaveLength(1);
    expect(b.status.addresses).toEqual(['10.177.0.50']);
    expect(await guestAddress('na')).toBe(a.status.addresses[0]);
    expect(await guestAddress('nb')).toBe('10.177.0.50');
    expect(await sh('nb', `ping -c 1 -W 3 ${a.status.addresses[0]} >/dev/null && echo ok`)).toBe('ok');
    expect(await sh('nb', 'ping -c 1 -W 3 na >/dev/null && echo ok')).toBe('ok');
    expect(await sh('na', 'ping -c 1 -W 3 nb.default.herd >/dev/null && echo ok')).toBe('ok');
    expect(await sh('na', `cat /sys/class/net/eth0/address`)).toBe(a.spec.nics[0]!.mac);
  }, 240_000);

  it('lets VMs reach the internet through the masquerade', async () => {
    expect(await httpGet('na', '203.0.113.1', '/hello.txt')).toBe('hello from the internet');
  }, 60_000);

  it('hot-plugs a NIC that gets an address, and removes it', async () => {
    await daemon.client.call('createNetwork', { body: { name: 'back', type: 'isolated', cidr: '10.88.0.0/24' } });
    const added = await op(daemon.client.call('addVmNic', { params: { id: 'na' }, body: { network: 'back' }, query: wait }));
    expect(added.result).toMatchObject({ live: true });
    const nic = (added.result as { nic: { ip: string; device: string } }).nic;
    expect(nic.ip).toMatch(/^10\.88\.0\./);
    expect(await guestAddress('na', 'eth1')).toBe(nic.ip);
    await op(daemon.client.call('removeVmNic', { params: { id: 'na', nic: nic.device }, query: wait }));
    await waitFor('eth1 gone', async () => ((await sh('na', 'ls /sys/class/net')).includes('eth1') ? undefined : true), 20_000, 1000);
    expect((await vmOf('na')).spec.nics.map((n) => n.network)).toEqual(['default']);
  }, 120_000);
});

describe('clones', () => {
  it('get NICs on the same networks with new MACs and addresses', async () => {
    await op(daemon.client.call('cloneVm', { params: { id: 'nb' }, body: { name: 'nb2', mode: 'full' }, query: wait }));
    const [src, copy] = [await vmOf('nb'), await vmOf('nb2')];
    expect(copy.spec.nics.map((n) => n.network)).toEqual(src.spec.nics.map((n) => n.network));
    expect(copy.spec.nics[0]!.mac).not.toBe(src.spec.nics[0]!.mac);
    expect(copy.status.addresses[0]).not.toBe(src.status.addresses[0]);
    expect((await daemon.cli(['vm', 'delete', 'nb2'])).code).toBe(0);
  }, 120_000);
});

describe('an isolated network', () => {
  it('gives addresses but no route out', async () => {
    expect((await daemon.cli(['vm', 'create', 'ni', '--image', 'tiny', '--memory', '128M', '--network', 'back', '--start'])).code).toBe(0);
    await booted('ni');
    const ip = await guestAddress('ni');
    expect(ip).toMatch(/^10\.88\.0\./);
    expect(await httpGet('ni', '203.0.113.1', '/hello.txt')).toBe('blocked');
    expect((await daemon.cli(['vm', 'delete', 'ni'])).code).toBe(0);
  }, 120_000);
});

describe('security groups', () => {
  it('block TCP to a guest port until a rule allows it, applied live', async () => {
    await sh('nb', 'mkdir -p /tmp/www && echo guest-page > /tmp/www/index.html && httpd -p 8080 -h /tmp/www');
    const target = (await vmOf('nb')).status.addresses[0]!;
    expect(await httpGet('na', `${target}:8080`, '/')).toBe('guest-page');
    await daemon.client.call('createSecurityGroup', { body: { name: 'web', description: 'web servers' } });
    const nic = (await vmOf('nb')).spec.nics[0]!;
    await daemon.client.call('updateVmNic', { params: { id: 'nb', nic: nic.device }, body: { securityGroups: ['web'] } });
    expect(await httpGet('na', `${target}:8080`, '/')).toBe('blocked');
    // Outbound stays allowed, and DHCP still works through the group.
    expect(await httpGet('nb', '203.0.113.1', '/hello.txt')).toBe('hello from the internet');
    const g = await daemon.client.call('addSecurityGroupRule', { params: { id: 'web' }, body: { direction: 'ingress', protocol: 'tcp', portFrom: 8080 } });
    expect(g.rules).toHaveLength(1);
    expect(await httpGet('na', `${target}:8080`, '/')).toBe('guest-page');
    await daemon.client.call('removeSecurityGroupRule', { params: { id: 'web', rule: g.rules[0]!.id } });
    expect(await httpGet('na', `${target}:8080`, '/')).toBe('blocked');
    await bad(daemon.client.call('deleteSecurityGroup', { params: { id: 'web' } }), 409, /attached to 1 NIC/);
    await daemon.client.call('updateVmNic', { params: { id: 'nb', nic: nic.device }, body: { securityGroups: [] } });
    await daemon.client.call('deleteSecurityGroup', { params: { id: 'web' } });
  }, 120_000);
});

describe('bad requests', () => {
  it('answer clear 4xx errors and change nothing', async () => {
    await bad(daemon.client.call('createNetwork', { body: { name: 'x', type: 'nat', cidr: '10.9.0.1/24' } }), 400, /host bits set; did you mean 10.9.0.0\/24/);
    await bad(daemon.client.call('createNetwork', { body: { name: 'x', type: 'nat', cidr: '10.177.0.128/25' } }), 409, /overlaps network 'default'/);
    await bad(daemon.client.call('createNetwork', { body: { name: 'x', type: 'nat' } }), 400, /cidr/);
    await bad(daemon.client.call('createNetwork', { body: { name: 'x', type: 'nat', cidr: '10.9.0.0/24', dhcpRange: { start: '10.9.0.1', end: '10.9.0.9' } } }), 400, /gateway 10.9.0.1 lies inside/);
    await bad(daemon.client.call('createNetwork', { body: { name: 'x', type: 'bridged', bridge: 'nosuchbr0' } }), 422, /nosuchbr0 does not exist/);
    await daemon.client.call('createNetwork', { body: { name: 'tiny', type: 'isolated', cidr: '10.66.0.0/29', dhcpRange: { start: '10.66.0.2', end: '10.66.0.3' } } });
    const mac = (await vmOf('na')).spec.nics[0]!.mac;
    await bad(daemon.client.call('addVmNic', { params: { id: 'nb' }, body: { network: 'tiny', mac } }), 409, /MAC address .* is already in use/);
    await bad(daemon.client.call('addVmNic', { params: { id: 'nb' }, body: { network: 'default', ip: '10.177.0.50' } }), 409, /10.177.0.50 is already in use/);
    await bad(daemon.client.call('addVmNic', { params: { id: 'nb' }, body: { network: 'default', ip: '10.99.0.5' } }), 400, /not a host address/);
    await bad(daemon.client.call('addVmNic', { params: { id: 'nb' }, body: { network: 'default', mac: '01:00:5e:00:00:01' } }), 400, /multicast/);
    for (const n of ['t1', 't2']) await daemon.client.call('createVm', { body: { name: n, image: 'tiny', memoryMiB: 128, nics: [{ network: 'tiny' }] } });
    await bad(daemon.client.call('createVm', { body: { name: 't3', image: 'tiny', memoryMiB: 128, nics: [{ network: 'tiny' }] } }), 409, /no free address left in 10.66.0.2-10.66.0.3/);
    expect((await daemon.client.call('listVms')).map((v) => v.name)).not.toContain('t3');
    await bad(daemon.client.call('deleteNetwork', { params: { id: 'tiny' } }), 409, /used by 2 NIC\(s\) of VMs t1, t2/);
    for (const n of ['t1', 't2']) await daemon.client.call('deleteVm', { params: { id: n }, query: wait });
    await daemon.client.call('deleteNetwork', { params: { id: 'tiny' } });
  }, 120_000);
});

describe('clean up', () => {
  it('leaves no bridge, tap, nftables table or dnsmasq process behind', async () => {
    for (const n of ['na', 'nb']) expect((await daemon.cli(['vm', 'delete', n])).code).toBe(0);
    const ids: string[] = [];
    for (const n of await daemon.client.call('listNetworks')) {
      ids.push(n.id);
      await daemon.client.call('deleteNetwork', { params: { id: n.id } });
    }
    const links = (JSON.parse(inNs(host.name, ['ip', '-j', 'link'])) as { ifname: string }[]).map((l) => l.ifname);
    expect(links.filter((l) => l.startsWith('hb-') || l.startsWith('ht-'))).toEqual([]);
    expect(inNs(host.name, ['nft', 'list', 'tables'])).not.toMatch(/herd-/);
    const procs = inNs(host.name, ['ps', '-eo', 'args']);
    for (const id of ids) expect(procs).not.toContain(id);
  }, 120_000);

  it('kept every request and response within the OpenAPI document', () => {
    expect(contractViolations).toEqual([]);
  });
});
