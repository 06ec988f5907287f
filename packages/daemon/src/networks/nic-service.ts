/**
 * VM NICs: each one a tap on its network's bridge, with a MAC and (on herd's nat and isolated
 * networks) an address herd chose and hands out as a fixed DHCP lease. Adding or removing a NIC
 * of a running VM hot-plugs it under the VM's reconcile lock; records, leases and firewall rules
 * follow, so a restart of the VM or the daemon finds the same NICs with the same MACs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { HerdError, type Nic, type NicAdd, type NicUpdate, type Operation } from '@herd/api';
import type { Logger } from 'pino';
import { ownerOf, type VmOwner } from '../confine/vm-owner.js';
import type { OperationStore } from '../operations/operation-store.js';
import { runOperation } from '../operations/run-operation.js';
import type { NicSpec } from '../qemu/launch-spec.js';
import { hotplugNic, unplugNic } from '../qemu/qmp-nic.js';
import type { NetworkRow, NicRow, VmRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import type { LiveVms } from '../volumes/live-vms.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { Firewall } from './firewall.js';
import { chooseAddress, formatIp, parseCidr, parseIp } from './ipam.js';
import { nicDeviceId, tapNameFor } from './network-names.js';
import type { NetworkRepo } from './network-repo.js';
import type { NicRepo } from './nic-repo.js';
import type { SecurityGroupRepo } from './security-group-repo.js';
import type { Taps } from './taps.js';

/** What the NIC service needs. */
export interface NicServiceDeps {
  readonly nics: NicRepo;
  readonly networks: NetworkRepo;
  readonly groups: SecurityGroupRepo;
  readonly vms: VmRepo;
  readonly ops: OperationStore;
  readonly live: LiveVms;
  readonly taps: Taps;
  readonly firewall: Firewall;
  /** Rewrites a network's leases (and reloads its DHCP/DNS server). */
  readonly syncNetwork: (networkId: string) => Promise<void>;
  /** Why herd cannot manage networks here, or undefined. */
  readonly unavailable: string | undefined;
  readonly log: Logger;
}

const unplugTimeoutMs = 30_000;

/** NIC use cases. */
export class NicService {
  readonly #d: NicServiceDeps;

  constructor(deps: NicServiceDeps) {
    this.#d = deps;
  }

  /** A VM's NICs. */
  async list(vmRef: string): Promise<Nic[]> {
    const vm = await this.#d.vms.find(vmRef);
    return Promise.all((await this.#d.nics.ofVm(vm.id)).map((n) => this.#toApi(n, vm)));
  }

  /**
   * Gives a new VM its NICs (before it first starts). Validates all before recording any; on
   * failure none is left.
   */
  async createFor(vm: VmRow, adds: readonly NicAdd[]): Promise<void> {
    if (adds.length && this.#d.unavailable) throw new HerdError('networking_unavailable', { reason: this.#d.unavailable });
    const made: NicRow[] = [];
    try {
      for (const [i, a] of adds.entries()) made.push(await this.#record(vm, a, i, `nics[${i}]`));
    } catch (e) {
      for (const n of made) await this.#d.nics.remove(n.id);
      throw e;
    }
    await this.#after(made.map((n) => n.network_id));
  }

  /** Adds a NIC to a VM; hot-plugged when it runs. */
  async add(vmRef: string, body: NicAdd): Promise<Operation> {
    if (this.#d.unavailable) throw new HerdError('networking_unavailable', { reason: this.#d.unavailable });
    const vm = await this.#d.vms.find(vmRef);
    if (vm.deleting) throw new HerdError('action_not_allowed', { action: 'add a NIC to', name: vm.name, state: 'being deleted' });
    const existing = await this.#d.nics.ofVm(vm.id);
    const position = existing.reduce((m, n) => Math.max(m, n.position + 1), 0);
    const row = await this.#record(vm, body, position, '');
    await this.#after([row.network_id]);
    const op = await this.#d.ops.create('nic.add', { type: 'vm', id: vm.id, name: vm.name }, { nic: row.id }, `adding a NIC on ${body.network}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'nic.add', async () => {
      try {
        const live = await this.#d.live.exclusive(vm.id, async (qmp) => {
          if (!qmp) return false;
          const spec = await this.#spec(row);
          // Read under the lock: the QEMU user of the VM as it runs now.
          await this.#d.taps.ensure(row, await this.#network(row), ownerOf(await this.#d.vms.get(vm.id)));
          await hotplugNic(qmp, spec);
          return true;
        });
        await this.#d.vms.note(vm, 'vm.nic_added', `VM ${vm.name}: NIC ${row.mac} added on network ${body.network}${row.ip ? ` (${row.ip})` : ''}${live ? ', hot-plugged' : ''}`, { mac: row.mac, ip: row.ip, live });
        return { nic: await this.#toApi(row, vm), live };
      } catch (e) {
        await this.#d.taps.remove(row);
        await this.#d.nics.remove(row.id);
        await this.#after([row.network_id]);
        throw e;
      }
    });
    return op;
  }

  /** Removes a NIC; hot-unplugged when the VM runs. */
  async remove(vmRef: string, nicRef: string): Promise<Operation> {
    const vm = await this.#d.vms.find(vmRef);
    const row = await this.#find(vm, nicRef);
    const op = await this.#d.ops.create('nic.remove', { type: 'vm', id: vm.id, name: vm.name }, { nic: row.id }, `removing NIC ${row.mac}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'nic.remove', async () => {
      const live = await this.#d.live.exclusive(vm.id, async (qmp) => {
        if (!qmp) return false;
        await unplugNic(qmp, nicDeviceId(row.id), { timeoutMs: unplugTimeoutMs });
        return true;
      });
      await this.#d.taps.remove(row);
      await this.#d.nics.remove(row.id);
      await this.#after([row.network_id]);
      await this.#d.vms.note(vm, 'vm.nic_removed', `VM ${vm.name}: NIC ${row.mac} removed${live ? ' (hot-unplugged)' : ''}`, { mac: row.mac, live });
      return { mac: row.mac, live };
    });
    return op;
  }

  /** Changes a NIC's security groups; the firewall follows at once. */
  async update(vmRef: string, nicRef: string, body: NicUpdate): Promise<Nic> {
    const vm = await this.#d.vms.find(vmRef);
    const row = await this.#find(vm, nicRef);
    const ids = await this.#groupIds(body.securityGroups, 'securityGroups');
    await this.#d.nics.setGroups(row.id, ids);
    await this.#d.firewall.apply();
    await this.#d.vms.note(vm, 'vm.nic_updated', `VM ${vm.name}: NIC ${row.mac} security groups: ${body.securityGroups.join(', ') || 'none'}`);
    return this.#toApi({ ...row, security_groups: JSON.stringify(ids) }, vm);
  }

  /**
   * The NICs QEMU starts with, their taps made on their bridges and openable by `owner` (the
   * user QEMU will run as, if not the daemon's). Called by the reconciler before a launch.
   */
  async prepareStart(vmId: string, owner: VmOwner | undefined): Promise<NicSpec[]> {
    const rows = await this.#d.nics.ofVm(vmId);
    const specs: NicSpec[] = [];
    for (const r of rows) {
      await this.#d.taps.ensure(r, await this.#network(r), owner);
      specs.push(await this.#spec(r));
    }
    return specs;
  }

  /** Removes the taps of a VM whose QEMU has ended. Idempotent. */
  async afterStop(vmId: string): Promise<void> {
    for (const r of await this.#d.nics.ofVm(vmId)) await this.#d.taps.remove(r);
  }

  /** A VM is being deleted: its taps and NICs go, its addresses are free again. Idempotent. */
  async releaseVm(vmId: string): Promise<void> {
    const rows = await this.#d.nics.ofVm(vmId);
    for (const r of rows) {
      await this.#d.taps.remove(r);
      await this.#d.nics.remove(r.id);
    }
    if (rows.length) await this.#after(rows.map((r) => r.network_id));
  }

  /** Validates and records one NIC: network, MAC and address chosen, groups resolved. */
  async #record(vm: VmRow, a: NicAdd, position: number, prefix: string): Promise<NicRow> {
    const field = (f: string) => (prefix ? `${prefix}.${f}` : f);
    const net = await this.#d.networks.find(a.network).catch(() => {
      throw new HerdError('validation_failed', { field: field('network'), reason: `network '${a.network}' does not exist; see \`herd network list\`` });
    });
    if (net.deleting) throw new HerdError('validation_failed', { field: field('network'), reason: `network '${net.name}' is being deleted` });
    const groups = await this.#groupIds(a.securityGroups ?? [], field('securityGroups'));
    if (a.mac !== undefined) {
      const first = parseInt(a.mac.slice(0, 2), 16);
      if (first & 1) throw new HerdError('validation_failed', { field: field('mac'), reason: `${a.mac} is a multicast address; a NIC needs a unicast MAC (even first byte)` });
      if (!(first & 2))
        throw new HerdError('validation_failed', { field: field('mac'), reason: `${a.mac} is a vendor (globally administered) address; use a locally administered one such as 52:54:00:xx:xx:xx` });
      if (await this.#d.nics.byMac(a.mac)) throw new HerdError('address_conflict', { reason: `MAC address ${a.mac} is already in use by another NIC; choose another or leave it out`, field: field('mac') });
    }
    if (a.ip !== undefined && net.type === 'bridged')
      throw new HerdError('validation_failed', { field: field('ip'), reason: `network '${net.name}' is bridged: herd does not hand out its addresses` });
    for (let attempt = 0; ; attempt++) {
      const ip = net.type === 'bridged' ? null : await this.#chooseIp(net, a.ip, field('ip'));
      const row: NicRow = {
        id: randomUUID(),
        vm_id: vm.id,
        network_id: net.id,
        mac: (a.mac ?? randomMac()).toLowerCase(),
        ip,
        position,
        security_groups: JSON.stringify(groups),
        created_at: nowIso(),
      };
      try {
        await this.#d.nics.insert(row);
        return row;
      } catch (e) {
        // Another NIC took the same address or MAC in between: choose again, unless the user asked for it.
        if (attempt < 5 && e instanceof HerdError && e.code === 'address_conflict' && a.ip === undefined && a.mac === undefined) continue;
        throw e;
      }
    }
  }

  async #chooseIp(net: NetworkRow, wanted: string | undefined, field: string): Promise<string> {
    const subnet = parseCidr(net.cidr!);
    const taken = new Set((await this.#d.nics.onNetwork(net.id)).flatMap((n) => (n.ip ? [parseIp(n.ip)!] : [])));
    const range = { start: parseIp(net.dhcp_start!)!, end: parseIp(net.dhcp_end!)! };
    const r = chooseAddress(subnet, parseIp(net.gateway!)!, range, taken, wanted === undefined ? undefined : parseIp(wanted));
    if ('ip' in r) return formatIp(r.ip);
    switch (r.problem) {
      case 'exhausted':
        throw new HerdError('addresses_exhausted', { name: net.name, range: `${net.dhcp_start}-${net.dhcp_end}` });
      case 'taken':
        throw new HerdError('address_conflict', { reason: `address ${wanted} is already in use on network '${net.name}'`, field });
      case 'gateway':
        throw new HerdError('address_conflict', { reason: `address ${wanted} is the gateway of network '${net.name}'`, field });
      case 'not-in-network':
        throw new HerdError('validation_failed', { field, reason: `${wanted} is not a host address of network '${net.name}' (${net.cidr})` });
    }
  }

  async #groupIds(refs: readonly string[], field: string): Promise<string[]> {
    const ids: string[] = [];
    for (const ref of refs) {
      const g = await this.#d.groups.find(ref).catch(() => {
        throw new HerdError('validation_failed', { field, reason: `security group '${ref}' does not exist; see \`herd secgroup list\`` });
      });
      if (!ids.includes(g.id)) ids.push(g.id);
    }
    return ids;
  }

  async #after(networkIds: readonly string[]): Promise<void> {
    for (const id of new Set(networkIds)) await this.#d.syncNetwork(id);
    await this.#d.firewall.apply();
  }

  async #find(vm: VmRow, ref: string): Promise<NicRow> {
    const rows = await this.#d.nics.ofVm(vm.id);
    const row = rows.find((n) => n.id === ref.toLowerCase() || n.mac === ref.toLowerCase() || nicDeviceId(n.id) === ref);
    if (!row) throw new HerdError('not_found', { kind: 'nic', name: `${vm.name}/${ref}`, hint: `list them with \`herd vm nic list ${vm.name}\`` });
    return row;
  }

  async #network(r: NicRow): Promise<NetworkRow> {
    const net = await this.#d.networks.get(r.network_id);
    if (!net) throw new HerdError('networking_unavailable', { reason: `the network of NIC ${r.mac} no longer exists` });
    return net;
  }

  async #spec(r: NicRow): Promise<NicSpec> {
    const net = await this.#network(r);
    return { id: nicDeviceId(r.id), tap: tapNameFor(r.id), mac: r.mac, mtu: net.mtu };
  }

  async #toApi(r: NicRow, vm: VmRow): Promise<Nic> {
    const net = await this.#d.networks.get(r.network_id);
    const groups = await this.#d.groups.list();
    const ids = JSON.parse(r.security_groups) as string[];
    return {
      id: r.id,
      vm: vm.name,
      network: net?.name ?? r.network_id,
      device: nicDeviceId(r.id),
      mac: r.mac,
      ip: r.ip,
      tap: tapNameFor(r.id),
      securityGroups: ids.map((id) => groups.find((g) => g.id === id)?.name ?? id),
      createdAt: r.created_at,
    };
  }
}

/** A random locally unique MAC in QEMU's 52:54:00 prefix. */
function randomMac(): string {
  return `52:54:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}
