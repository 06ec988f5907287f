/**
 * Networks: records of what the operator wants (type, addressing, bridge, VNI); the network
 * reconciler makes the bridges, rules and DHCP/DNS servers match. Creating or deleting a
 * network waits for the reconciler, so the answer says whether it worked.
 */
import { assertOwnedHere } from '../tenancy/visibility.js';
import { randomUUID } from 'node:crypto';
import { HerdError, type Network, type NetworkCreate } from '@herd/api';
import type { NetworkRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { defaultsOf, formatIp, mask, overlaps, parseCidr, parseIp, rangeProblem, type Subnet } from './ipam.js';
import type { NetworkRepo } from './network-repo.js';
import type { NicRepo } from './nic-repo.js';
import { bridgeNameFor } from './network-names.js';
import { chooseVni } from './vni.js';
import { VXLAN_OVERHEAD } from '../net/vxlan.js';

/** What the network service needs. */
export interface NetworkServiceDeps {
  readonly networks: NetworkRepo;
  readonly nics: NicRepo;
  readonly vms: VmRepo;
  /** Why herd cannot manage networks here (not root), or undefined. */
  readonly unavailable: string | undefined;
  /** Runs one reconcile pass of a network now (under its lock) and resolves when it is done. */
  readonly reconcileNow: (networkId: string) => Promise<void>;
}

/** Default MTU of herd networks. */
const defaultMtu = 1500;
/** Default MTU of vxlan networks: what fits a 1500-byte underlay once wrapped. */
const defaultVxlanMtu = 1500 - VXLAN_OVERHEAD;
/** Largest MTU of vxlan networks: what fits the largest underlay MTU herd accepts. */
const maxVxlanMtu = 9000 - VXLAN_OVERHEAD;

/** Network use cases. */
export class NetworkService {
  readonly #d: NetworkServiceDeps;

  constructor(deps: NetworkServiceDeps) {
    this.#d = deps;
  }

  /** All networks. */
  async list(): Promise<Network[]> {
    const nics = await this.#d.nics.all();
    return (await this.#d.networks.listVisible()).filter((n) => !n.deleting).map((n) => toApiNetwork(n, nics.filter((x) => x.network_id === n.id).length));
  }

  /** One network. */
  async get(ref: string): Promise<Network> {
    const row = await this.#d.networks.find(ref);
    return toApiNetwork(row, (await this.#d.nics.onNetwork(row.id)).length);
  }

  /** Creates a network and sets it up on the host. */
  async create(body: NetworkCreate): Promise<Network> {
    this.#available();
    const bad = (field: string, reason: string) => new HerdError('validation_failed', { field, reason });
    if (await this.#d.networks.find(body.name).catch(() => undefined)) throw new HerdError('name_taken', { kind: 'network', name: body.name, field: 'name' });
    if (body.vni !== undefined && body.type !== 'vxlan') throw bad('vni', `a ${body.type} network has no VNI; give vni only for vxlan networks`);
    if (body.type === 'vxlan') {
      if (body.vlan !== undefined) throw bad('vlan', 'a vxlan network is a segment of its own, told apart by its vni; leave vlan out');
      if (body.mtu !== undefined && body.mtu > maxVxlanMtu)
        throw bad('mtu', `a vxlan network's frames grow by ${VXLAN_OVERHEAD} bytes between hosts; give at most ${maxVxlanMtu}, and an underlay that carries the MTU plus ${VXLAN_OVERHEAD}`);
    }
    const id = randomUUID();
    let row: NetworkRow;
    const mtu = body.mtu ?? (body.type === 'vxlan' ? defaultVxlanMtu : defaultMtu);
    const base = { id, name: body.name, type: body.type, vlan: body.vlan ?? null, vni: null, mtu, deleting: 0, state: 'pending' as const, error: null, created_at: nowIso() };
    if (body.type === 'bridged') {
      if (!body.bridge) throw bad('bridge', 'a bridged network needs the host bridge (or interface) VMs are attached to');
      if (body.cidr || body.dhcpRange) throw bad('cidr', 'herd does not hand out addresses on a bridged network: the network behind the bridge does');
      row = { ...base, cidr: null, gateway: null, dhcp_start: null, dhcp_end: null, bridge: body.bridge };
    } else {
      if (body.bridge) throw bad('bridge', `herd makes the bridge of a ${body.type} network itself; give bridge only for bridged networks`);
      if (!body.cidr) throw bad('cidr', `a ${body.type} network needs a cidr, such as 10.10.0.0/24`);
      let subnet;
      try {
        subnet = parseCidr(body.cidr);
      } catch (e) {
        throw bad('cidr', e instanceof Error ? e.message : String(e));
      }
      for (const other of await this.#d.networks.list()) {
        if (other.cidr && overlaps(subnet, parseCidr(other.cidr)))
          throw new HerdError('address_conflict', { reason: `${body.cidr} overlaps network '${other.name}' (${other.cidr}); choose a network that does not`, field: 'cidr' });
      }
      const d = defaultsOf(subnet);
      const start = body.dhcpRange ? parseIp(body.dhcpRange.start)! : d.start;
      const end = body.dhcpRange ? parseIp(body.dhcpRange.end)! : d.end;
      const problem = rangeProblem(subnet, d.gateway, start, end);
      if (problem) throw bad('dhcpRange', problem);
      row = { ...base, cidr: body.cidr, gateway: formatIp(d.gateway), dhcp_start: formatIp(start), dhcp_end: formatIp(end), bridge: bridgeNameFor(id) };
    }
    if (row.type === 'vxlan') row = await this.#insertVxlan(row, body.vni);
    else await this.#d.networks.insert(row);
    await this.#d.reconcileNow(id);
    const after = await this.#d.networks.get(id);
    if (!after || after.state === 'error') {
      const reason = after?.error ?? 'setting it up failed';
      await this.#teardown(row);
      throw new HerdError('networking_unavailable', { reason: `network '${row.name}' could not be set up: ${reason}` });
    }
    return toApiNetwork(after, 0);
  }

  /** Deletes a network no NIC uses, removing what it has on the host. */
  async delete(ref: string): Promise<Network> {
    const row = await this.#d.networks.find(ref);
    assertOwnedHere('network', row.name, row.project_id);
    const nics = await this.#d.nics.onNetwork(row.id);
    if (nics.length) {
      const names = [...new Set(await Promise.all(nics.map(async (n) => (await this.#d.vms.get(n.vm_id))?.name ?? n.vm_id)))];
      throw new HerdError('network_in_use', { name: row.name, users: `${nics.length} NIC(s) of VM${names.length > 1 ? 's' : ''} ${names.slice(0, 5).join(', ')}` });
    }
    const api = toApiNetwork(row, 0);
    await this.#teardown(row);
    return api;
  }

  /**
   * Makes sure the `default` NAT network exists (daemon start, as root). Picks the first of a
   * few private /24s that overlaps no other herd network and no route of the host.
   */
  async ensureDefault(hostRoutes: readonly string[]): Promise<void> {
    if (this.#d.unavailable) return;
    if (await this.#d.networks.find('default').catch(() => undefined)) return;
    const taken = [...hostRoutes, ...(await this.#d.networks.list()).flatMap((n) => (n.cidr ? [n.cidr] : []))].flatMap((c) => {
      const s = routeSubnet(c);
      return s ? [s] : [];
    });
    for (const cidr of ['10.177.0.0/24', '10.178.0.0/24', '172.30.177.0/24', '192.168.177.0/24']) {
      if (taken.some((t) => overlaps(parseCidr(cidr), t))) continue;
      await this.create({ name: 'default', type: 'nat', cidr });
      return;
    }
  }

  /** Inserts vxlan network `row` with `wanted` or a free VNI; chooses again when another creation took the same one first. */
  async #insertVxlan(row: NetworkRow, wanted: number | undefined): Promise<NetworkRow> {
    for (let attempt = 0; ; attempt++) {
      const others = await this.#d.networks.list();
      const r = chooseVni(new Set(others.flatMap((n) => (n.vni !== null ? [n.vni] : []))), wanted);
      if ('problem' in r) {
        const holder = others.find((n) => n.vni === wanted)?.name;
        const reason = r.problem === 'taken' ? `VNI ${wanted} is already used by network '${holder}'; choose another or leave vni out to get a free one` : 'every VNI is in use; delete a vxlan network first';
        throw new HerdError('address_conflict', { reason, field: 'vni' });
      }
      const withVni = { ...row, vni: r.vni };
      try {
        await this.#d.networks.insert(withVni);
        return withVni;
      } catch (e) {
        if (attempt < 5 && wanted === undefined && e instanceof HerdError && e.code === 'address_conflict') continue;
        throw e;
      }
    }
  }

  async #teardown(row: NetworkRow): Promise<void> {
    await this.#d.networks.update(row.id, { deleting: 1 });
    await this.#d.reconcileNow(row.id);
  }

  #available(): void {
    if (this.#d.unavailable) throw new HerdError('networking_unavailable', { reason: this.#d.unavailable });
  }
}

/** A route's destination (`10.0.0.0/8`, `192.168.1.7`) as a subnet; undefined for `default` and the like. */
function routeSubnet(dst: string): Subnet | undefined {
  const [ip, p] = dst.split('/');
  const n = parseIp(ip ?? '');
  const prefix = p === undefined ? 32 : Number(p);
  if (n === undefined || !(prefix >= 0 && prefix <= 32)) return undefined;
  return { base: (n & mask(prefix)) >>> 0, prefix };
}

/** The API form of a network. */
export function toApiNetwork(r: NetworkRow, nics: number): Network {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    cidr: r.cidr,
    gateway: r.gateway,
    dhcpRange: r.dhcp_start && r.dhcp_end ? { start: r.dhcp_start, end: r.dhcp_end } : null,
    bridge: r.bridge,
    vlan: r.vlan,
    vni: r.vni,
    mtu: r.mtu,
    domain: r.type === 'bridged' ? null : `${r.name}.herd`,
    nics,
    status: { state: r.state, error: r.error },
    createdAt: r.created_at,
  };
}
