/**
 * The network reconciler of this host: makes each network's bridge, nftables rules and DHCP/DNS
 * server match its record, level-triggered like the VM reconciler. dnsmasq outlives the daemon
 * as QEMU does and is found again through its pidfile; leases are rewritten from the NIC records
 * on every pass and dnsmasq told to re-read them.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { NetExec } from '../net/net-exec.js';
import { dnsmasqArgv, listDnsmasq, reloadDnsmasq, runningDnsmasq, startDnsmasq, stopDnsmasq, writeLeases } from '../net/dnsmasq.js';
import { deleteLink, enableForwarding, ensureBridge, ensureBridgeNetfilter, linkExists, listLinks } from '../net/links.js';
import { applyTable, deleteTable, isolatedRuleset, isolatedTableName, listTables, natRuleset, natTableName } from '../net/nftables.js';
import type { NetworkRow } from '../store/schema.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { done, type ReconcileResult } from '../reconcile/work-queue.js';
import { parseCidr } from './ipam.js';
import { bridgePrefix, domainOf, tapNameFor, tapPrefix } from './network-names.js';
import type { NetworkRepo } from './network-repo.js';
import type { NicRepo } from './nic-repo.js';

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
  readonly log: Logger;
}

/** Reconciles networks of this host. */
export class NetworkReconciler {
  readonly #d: NetworkReconcilerDeps;

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
    // With a VLAN, the bridge's own port (the gateway) is in it too, or guests could not reach it.
    await ensureBridge(exec, row.bridge, { mtu: row.mtu, address: `${row.gateway}/${subnet.prefix}`, ...(row.vlan !== null ? { vlanFiltering: true, pvid: row.vlan } : {}) });
    if (row.type === 'nat') {
      await enableForwarding(exec);
      await applyTable(exec, 'ip', natTable(row), natRuleset({ bridge: row.bridge, cidr: row.cidr! }));
    } else await applyTable(exec, 'inet', isolatedTable(row), isolatedRuleset({ bridge: row.bridge, cidr: row.cidr! }));
    const dir = this.#d.dirOf(row.id);
    await mkdir(dir, { recursive: true });
    const leases = [];
    for (const n of await this.#d.nics.onNetwork(row.id)) {
      const vm = await this.#d.vms.get(n.vm_id);
      if (n.ip && vm) leases.push({ mac: n.mac, ip: n.ip, name: vm.name });
    }
    await writeLeases(dir, leases);
    const pid = runningDnsmasq(join(dir, 'dnsmasq.pid'), row.id);
    if (pid !== undefined) reloadDnsmasq(pid);
    else
      await startDnsmasq(
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
        }),
        join(dir, 'dnsmasq.pid'),
      );
  }

  async #teardown(row: NetworkRow): Promise<void> {
    const { exec } = this.#d;
    const dir = this.#d.dirOf(row.id);
    const pid = runningDnsmasq(join(dir, 'dnsmasq.pid'), row.id);
    if (pid !== undefined) await stopDnsmasq(pid);
    if (row.type !== 'bridged') {
      await deleteTable(exec, 'ip', natTable(row));
      await deleteTable(exec, 'inet', isolatedTable(row));
      await deleteLink(exec, row.bridge);
    }
    await rm(dir, { recursive: true, force: true });
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
    const tables = new Set(nets.flatMap((n) => [natTable(n), isolatedTable(n)]));
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
