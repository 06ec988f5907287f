/**
 * The network reconciler of this host: makes each network's bridge, nftables rules and DHCP/DNS
 * server match its record, level-triggered like the VM reconciler. dnsmasq outlives the daemon
 * as QEMU does and is found again through its pidfile; leases are rewritten from the NIC records
 * on every pass and dnsmasq told to re-read them when they changed.
 *
 * A vxlan network is an isolated network on every host at once, joined by a VXLAN device on
 * each host's bridge (net/vxlan.ts) whose flood list is brought to the other online hosts on
 * every pass. Every host's bridge has the same gateway address and MAC and runs its own dnsmasq
 * with the same fixed leases (and no others), so a guest gets the same answers on any host, and
 * keeps its gateway when it moves; nothing from the gateway's MAC crosses the overlay
 * (overlayRuleset), so each host alone answers its own guests.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { NetExec } from '../net/net-exec.js';
import { dnsmasqArgv, listDnsmasq, reloadDnsmasq, runningDnsmasq, startDnsmasq, stopDnsmasq, writeLeases } from '../net/dnsmasq.js';
import { deleteLink, enableForwarding, ensureBridge, ensureBridgeNetfilter, linkExists, listLinks } from '../net/links.js';
import { applyTable, deleteTable, isolatedRuleset, isolatedTableName, listTables, natRuleset, natTableName, overlayRuleset, overlayTableName } from '../net/nftables.js';
import { ensureFloodList, ensureVxlan, overlayGatewayMac } from '../net/vxlan.js';
import type { NetworkRow } from '../store/schema.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { done, type ReconcileResult } from '../reconcile/work-queue.js';
import { parseCidr } from './ipam.js';
import { bridgePrefix, domainOf, tapNameFor, tapPrefix, vxlanNameFor, vxlanPrefix } from './network-names.js';
import type { NetworkRepo } from './network-repo.js';
import type { NicRepo } from './nic-repo.js';
import { floodTargets } from './underlay.js';

/** What the network reconciler needs. */
export interface NetworkReconcilerDeps {
  readonly networks: NetworkRepo;
  readonly nics: NicRepo;
  readonly vms: VmRepo;
  readonly exec: NetExec;
  /** Directory of a network's dnsmasq files. */
  readonly dirOf: (networkId: string) => string;
  /** The directory every network's directory is in (dnsmasq processes started elsewhere are not this daemon's). */
  readonly networksRoot: string;
  /** The underlay addresses of the other online hosts of the cluster, read now (vxlan networks flood to them). */
  readonly peers: () => Promise<string[]>;
  /** This host's underlay address, the source of its VXLAN packets; undefined: none known (the kernel picks one by route). */
  readonly localUnderlay: () => string | undefined;
  readonly log: Logger;
}

/** Reconciles networks of this host. */
export class NetworkReconciler {
  readonly #d: NetworkReconcilerDeps;
  /** Per network: the dnsmasq pid and the leases it was last told to read. */
  readonly #told = new Map<string, string>();

  constructor(deps: NetworkReconcilerDeps) {
    this.#d = deps;
  }

  /** One pass for network `id`. */
  async reconcile(id: string): Promise<ReconcileResult> {
    const row = await this.#d.networks.get(id);
    if (!row) return done;
    if (row.deleting) {
      await this.#teardown(row);
      await this.#d.networks.remove(row);
      this.#d.log.info({ network: row.name, networkId: row.id }, 'network deleted');
      return done;
    }
    try {
      await this.#ensure(row);
      if (row.state !== 'ready' || row.error !== null) {
        await this.#d.networks.update(id, { state: 'ready', error: null });
        await this.#d.networks.note(row, 'network.state', `network ${row.name} is ready`, { from: row.state, to: 'ready' });
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.#d.log.warn({ network: row.name, networkId: row.id, err: message }, 'network setup failed');
      if (row.state !== 'error' || row.error !== message) {
        await this.#d.networks.update(id, { state: 'error', error: message });
        await this.#d.networks.note(row, 'network.state', `network ${row.name} failed: ${message}`, { from: row.state, to: 'error', error: message });
      }
    }
    return done;
  }

  async #ensure(row: NetworkRow): Promise<void> {
    const { exec } = this.#d;
    if (row.type === 'bridged') {
      if (!(await linkExists(exec, row.bridge))) throw new Error(`host bridge ${row.bridge} does not exist; create it (or give another) first`);
      // Security groups on its ports need bridged traffic to pass conntrack.
      await ensureBridgeNetfilter(exec, row.bridge);
      return;
    }
    const subnet = parseCidr(row.cidr!);
    const overlay = row.type === 'vxlan';
    await ensureBridge(exec, row.bridge, {
      mtu: row.mtu,
      address: `${row.gateway}/${subnet.prefix}`,
      // With a VLAN, the bridge's own port (the gateway) is in it too, or guests could not reach it.
      ...(row.vlan !== null ? { vlanFiltering: true, pvid: row.vlan } : {}),
      ...(overlay ? { mac: overlayGatewayMac(row.id) } : {}),
    });
    if (row.type === 'nat') {
      await enableForwarding(exec);
      await applyTable(exec, 'ip', natTable(row), natRuleset({ bridge: row.bridge, cidr: row.cidr! }));
    } else await applyTable(exec, 'inet', isolatedTable(row), isolatedRuleset({ bridge: row.bridge, cidr: row.cidr! }));
    if (overlay) await this.#ensureOverlay(row);
    const dir = this.#d.dirOf(row.id);
    await mkdir(dir, { recursive: true });
    const leases = [];
    for (const n of await this.#d.nics.onNetwork(row.id)) {
      const vm = await this.#d.vms.get(n.vm_id);
      if (n.ip && vm) leases.push({ mac: n.mac, ip: n.ip, name: vm.name });
    }
    await writeLeases(dir, leases);
    const leaseText = JSON.stringify(leases);
    let pid = runningDnsmasq(join(dir, 'dnsmasq.pid'), row.id);
    // Only when the leases changed (vxlan networks get a pass every few seconds), and once after
    // a daemon start, since what a running dnsmasq last read is not known then.
    if (pid !== undefined) {
      if (this.#told.get(row.id) !== `${pid} ${leaseText}`) reloadDnsmasq(pid);
    } else
      pid = await startDnsmasq(
        exec,
        dnsmasqArgv({
          networkId: row.id,
          bridge: row.bridge,
          gateway: row.gateway!,
          prefixLength: subnet.prefix,
          dhcpRange: { start: row.dhcp_start!, end: row.dhcp_end! },
          domain: domainOf(row.name),
          router: row.type === 'nat',
          dir,
          ...(overlay ? { knownOnly: true, mtu: row.mtu } : {}),
        }),
        join(dir, 'dnsmasq.pid'),
      );
    this.#told.set(row.id, `${pid} ${leaseText}`);
  }

  /**
   * The vxlan part of a pass: the table that keeps the gateway's frames on this host first, so
   * that none leaves before it is in place; then the VXLAN device; then its flood list, exactly
   * the other hosts online now.
   */
  async #ensureOverlay(row: NetworkRow): Promise<void> {
    const { exec } = this.#d;
    const vxlan = vxlanNameFor(row.id);
    await applyTable(exec, 'bridge', overlayTable(row), overlayRuleset({ vxlan, gatewayMac: overlayGatewayMac(row.id) }));
    const peers = await this.#d.peers();
    const local = this.#d.localUnderlay();
    await ensureVxlan(exec, vxlan, { vni: row.vni!, bridge: row.bridge, mtu: row.mtu, ...(local !== undefined ? { local } : {}) });
    const { added, removed } = await ensureFloodList(exec, vxlan, floodTargets(peers, local));
    if (added.length || removed.length) this.#d.log.info({ network: row.name, networkId: row.id, added, removed }, 'vxlan peers changed');
  }

  async #teardown(row: NetworkRow): Promise<void> {
    const { exec } = this.#d;
    const dir = this.#d.dirOf(row.id);
    const pid = runningDnsmasq(join(dir, 'dnsmasq.pid'), row.id);
    if (pid !== undefined) await stopDnsmasq(pid);
    this.#told.delete(row.id);
    if (row.type === 'vxlan') await removeOverlay(exec, row.bridge, vxlanNameFor(row.id));
    if (row.type !== 'bridged') {
      await deleteTable(exec, 'ip', natTable(row));
      await deleteTable(exec, 'inet', isolatedTable(row));
      await deleteLink(exec, row.bridge);
    }
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * Removes what is left on this host of vxlan networks whose record is gone: deleted through
   * another host, whose reconciler tore down only its own part. For the periodic pass; safe
   * while networks are created, since a network's record exists before any of its links.
   */
  async sweepOverlays(): Promise<string[]> {
    const { exec } = this.#d;
    const devices = await listLinks(exec, vxlanPrefix);
    const nets = await this.#d.networks.list();
    const wanted = new Set(nets.filter((n) => n.type === 'vxlan').map((n) => vxlanNameFor(n.id)));
    const ids = new Set(nets.map((n) => n.id));
    const removed: string[] = [];
    for (const vxlan of devices) {
      if (wanted.has(vxlan)) continue;
      // Both names end in the same leading hex digits of the network's id.
      const hex = vxlan.slice(vxlanPrefix.length);
      const bridge = `${bridgePrefix}${hex}`;
      for (const d of listDnsmasq(this.#d.networksRoot)) {
        if (ids.has(d.networkId) || !d.networkId.toLowerCase().startsWith(hex)) continue;
        await stopDnsmasq(d.pid);
        await rm(this.#d.dirOf(d.networkId), { recursive: true, force: true });
      }
      await removeOverlay(exec, bridge, vxlan);
      await deleteTable(exec, 'inet', isolatedTableName(bridge));
      await deleteLink(exec, bridge);
      removed.push(`vxlan network on ${bridge}`);
    }
    if (removed.length) this.#d.log.info({ removed }, 'removed vxlan networks deleted on another host');
    return removed;
  }

  /**
   * Start-up repair: removes bridges, taps, nftables tables and dnsmasq processes herd made for
   * networks and NICs that no longer exist (a crash between a record's removal and the host's).
   */
  async sweepOrphans(): Promise<string[]> {
    const { exec } = this.#d;
    const nets = await this.#d.networks.list();
    const nics = await this.#d.nics.all();
    const removed: string[] = [];
    const bridges = new Set(nets.filter((n) => n.type !== 'bridged').map((n) => n.bridge));
    const vxlans = new Set(nets.filter((n) => n.type === 'vxlan').map((n) => vxlanNameFor(n.id)));
    for (const v of await listLinks(exec, vxlanPrefix)) {
      if (vxlans.has(v)) continue;
      await deleteLink(exec, v);
      removed.push(`vxlan device ${v}`);
    }
    for (const b of await listLinks(exec, bridgePrefix)) {
      if (bridges.has(b)) continue;
      await deleteLink(exec, b);
      removed.push(`bridge ${b}`);
    }
    // Taps of NICs that exist stay: their VM may be running (the VM reconciler removes those of stopped VMs).
    const taps = new Set(nics.map((n) => tapNameFor(n.id)));
    for (const t of await listLinks(exec, tapPrefix)) {
      if (taps.has(t)) continue;
      await deleteLink(exec, t);
      removed.push(`tap ${t}`);
    }
    const tables = new Set(nets.flatMap((n) => [natTable(n), isolatedTable(n), overlayTable(n)]));
    for (const t of await listTables(exec, 'herd-')) {
      if (t.name === 'herd-secgroups' || tables.has(t.name)) continue;
      await deleteTable(exec, t.family, t.name);
      removed.push(`nftables table ${t.family} ${t.name}`);
    }
    const ids = new Set(nets.map((n) => n.id));
    for (const d of listDnsmasq(this.#d.networksRoot)) {
      if (ids.has(d.networkId)) continue;
      await stopDnsmasq(d.pid);
      removed.push(`dnsmasq pid ${d.pid}`);
    }
    if (removed.length) this.#d.log.warn({ removed }, 'removed leftovers of deleted networks');
    return removed;
  }
}

function natTable(n: Pick<NetworkRow, 'bridge'>): string {
  return natTableName(n.bridge);
}

function isolatedTable(n: Pick<NetworkRow, 'bridge'>): string {
  return isolatedTableName(n.bridge);
}

function overlayTable(n: Pick<NetworkRow, 'bridge'>): string {
  return overlayTableName(n.bridge);
}

/** Removes the VXLAN device of a vxlan network and its table; the rest goes as for isolated networks. */
async function removeOverlay(exec: NetExec, bridge: string, vxlan: string): Promise<void> {
  await deleteLink(exec, vxlan);
  await deleteTable(exec, 'bridge', overlayTableName(bridge));
}
