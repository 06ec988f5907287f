/**
 * VXLAN devices and their flood lists, through iproute2: the overlay under herd's vxlan networks.
 * On each host a vxlan network has a VXLAN device (`hx-...`), a port of the network's bridge,
 * which wraps the frames the bridge sends it in UDP to port 4789 of other hosts (the underlay)
 * and hands the bridge what arrives from them for its VNI.
 *
 * There is no multicast group: frames for every MAC the device has no entry for (broadcasts,
 * ARP, DHCP, and with `nolearning` all unicast too) go once to every address in the all-zeros
 * FDB entries of the device, one entry per other host (head-end replication). That flood list is
 * what {@link ensureFloodList} keeps equal to the cluster's hosts. `nolearning`: the device never
 * takes a MAC's location from the packets it receives, so nobody who can send UDP to port 4789
 * can redirect a guest's traffic to themselves; the bridge above still learns which MACs are
 * behind the device, as it does for any port.
 *
 * Each `ensure*` reads the state, plans the commands that close the gap (pure, tested without a
 * kernel) and runs only those. All need root (CAP_NET_ADMIN in the namespace of `exec`).
 */
import { isIP } from 'node:net';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { checkLinkName } from './link-names.js';
import type { LinkState } from './link-state.js';
import { readLink, runPlan, type NetCommand } from './links.js';
import type { NetExec } from './net-exec.js';

/** The IANA port of VXLAN, which every host of a cluster listens on. */
export const VXLAN_PORT = 4789;
/** The MAC of flood-list entries: "any destination the device has no entry for". */
export const ALL_ZEROS_MAC = '00:00:00:00:00:00';
/**
 * Bytes VXLAN adds to each frame on an IPv4 underlay (outer IPv4 20, UDP 8, VXLAN 8, inner
 * Ethernet 14); an IPv6 underlay adds 20 more, so networks over one need an MTU 20 lower.
 */
export const VXLAN_OVERHEAD = 50;
/** Highest VXLAN network identifier (24 bits). */
export const MAX_VNI = 16_777_215;

/** What a VXLAN device herd owns should look like. */
export interface VxlanSpec {
  /** The VXLAN network identifier, 1..16777215: the same on every host of the network. */
  readonly vni: number;
  /** This host's underlay address, the source of what it sends; unset: the kernel picks one by route. */
  readonly local?: string;
  /** The bridge it is a port of; it must exist. */
  readonly bridge: string;
  /** Largest frame (without Ethernet header) it carries: the underlay's MTU less {@link VXLAN_OVERHEAD}. */
  readonly mtu: number;
}

const ip = (...args: string[]): NetCommand => ({ command: 'ip', args });
const bridgeCmd = (...args: string[]): NetCommand => ({ command: 'bridge', args });

function checkVni(vni: number): void {
  if (!(Number.isInteger(vni) && vni >= 1 && vni <= MAX_VNI)) throw new RangeError(`VNI ${vni} is out of range: give 1 to ${MAX_VNI}`);
}

/** Returns `address` (an IPv4 or IPv6 address) in the form iproute2 prints; throws RangeError otherwise. */
export function canonicalUnderlay(address: string): string {
  const family = isIP(address);
  if (family === 4) return address;
  // WHATWG URL parsing prints an IPv6 address lower case and compressed, as inet_ntop does.
  if (family === 6) return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  throw new RangeError(`underlay address '${address}' is not an IPv4 or IPv6 address`);
}

/**
 * Plans how to bring VXLAN device `name` from `current` (undefined: it does not exist) to `spec`:
 * a device whose VNI, source address, port or learning differ is made again (the kernel cannot
 * change all of these in place), which drops its flood list too; plan that after this. Throws
 * when a link of that name exists and is not a VXLAN device. Pure.
 */
export function vxlanCommands(name: string, current: LinkState | undefined, spec: VxlanSpec): NetCommand[] {
  checkLinkName(name);
  checkLinkName(spec.bridge);
  checkVni(spec.vni);
  const local = spec.local === undefined ? undefined : canonicalUnderlay(spec.local);
  if (!(Number.isInteger(spec.mtu) && spec.mtu >= 68 && spec.mtu <= 65535)) throw new RangeError(`MTU ${spec.mtu} is out of range: give 68 to 65535`);
  if (current !== undefined && current.kind !== 'vxlan') throw new Error(`${name} exists and is ${current.kind ? `a ${current.kind} link` : 'a plain device'}, not a VXLAN device`);
  const cmds: NetCommand[] = [];
  let state = current;
  const v = state?.vxlan;
  if (state !== undefined && (v === undefined || v.vni !== spec.vni || v.local !== local || v.port !== VXLAN_PORT || v.learning)) {
    cmds.push(ip('link', 'del', 'dev', name));
    state = undefined;
  }
  if (state === undefined) cmds.push(ip('link', 'add', name, 'type', 'vxlan', 'id', String(spec.vni), 'dstport', String(VXLAN_PORT), ...(local ? ['local', local] : []), 'nolearning'));
  const set: string[] = [];
  if (state?.mtu !== spec.mtu) set.push('mtu', String(spec.mtu));
  if (state?.master !== spec.bridge) set.push('master', spec.bridge);
  if (!state?.up) set.push('up');
  if (set.length) cmds.push(ip('link', 'set', 'dev', name, ...set));
  return cmds;
}

/**
 * Plans how to bring the flood list of VXLAN device `name` from the peers `current` to exactly
 * `peers`: departed ones removed first, then missing ones appended. Pure.
 */
export function floodListCommands(name: string, current: readonly string[], peers: readonly string[]): NetCommand[] {
  checkLinkName(name);
  const have = new Set(current.map(canonicalUnderlay));
  const want = new Set(peers.map(canonicalUnderlay));
  const cmds: NetCommand[] = [];
  for (const p of have) if (!want.has(p)) cmds.push(bridgeCmd('fdb', 'del', ALL_ZEROS_MAC, 'dev', name, 'dst', p));
  for (const p of want) if (!have.has(p)) cmds.push(bridgeCmd('fdb', 'append', ALL_ZEROS_MAC, 'dev', name, 'dst', p));
  return cmds;
}

const FdbJson = Type.Array(Type.Object({ mac: Type.String(), dst: Type.Optional(Type.String()) }));

/**
 * Decodes the JSON of `bridge -j fdb show dev NAME` into the flood list: the destinations of the
 * all-zeros entries, in the order listed. Entries of the bridge above (no `dst`) are not part
 * of it. Pure.
 */
export function parseFloodPeers(stdout: string): string[] {
  const parsed: unknown = stdout.trim() === '' ? [] : JSON.parse(stdout);
  if (!Value.Check(FdbJson, parsed)) throw new Error(`bridge -j fdb show printed something unexpected: ${stdout.slice(0, 200)}`);
  return parsed.flatMap((e) => (e.mac === ALL_ZEROS_MAC && e.dst !== undefined ? [e.dst] : []));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The MAC address of a vxlan network's bridge, the same on every host: `0a` (a locally
 * administered unicast prefix, apart from QEMU's 52:54:00 for guests) and the first ten hex
 * digits of the network's id. A guest that moves to another host finds its gateway, DHCP and DNS
 * server under the address and MAC it already knows. Pure.
 */
export function overlayGatewayMac(networkId: string): string {
  if (!UUID.test(networkId)) throw new RangeError(`network id '${networkId}' is not a UUID`);
  const hex = `0a${networkId.replaceAll('-', '').slice(0, 10).toLowerCase()}`;
  return hex.match(/../g)!.join(':');
}

// --- wrappers ------------------------------------------------------------------------------

const TIMEOUT_MS = 15_000;

/**
 * Makes VXLAN device `name` as `spec` says, a port of `spec.bridge`, up; an existing device with
 * other VXLAN settings is made again (with an empty flood list). Idempotent. Throws when the
 * bridge is missing or `name` is another kind of link.
 */
export async function ensureVxlan(exec: NetExec, name: string, spec: VxlanSpec): Promise<void> {
  const bridge = await readLink(exec, spec.bridge);
  if (bridge?.bridge === undefined) throw new Error(`bridge ${spec.bridge} does not exist, so VXLAN device ${name} cannot join it`);
  await runPlan(exec, vxlanCommands(name, await readLink(exec, name), spec));
}

/** The flood list of VXLAN device `name`: the underlay addresses broadcasts go to. May be called at any time. */
export async function floodPeers(exec: NetExec, name: string): Promise<string[]> {
  const r = await exec.run('bridge', ['-j', 'fdb', 'show', 'dev', checkLinkName(name)], { timeoutMs: TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C' } });
  return parseFloodPeers(r.stdout);
}

/**
 * Makes the flood list of VXLAN device `name` exactly `peers` (the underlay addresses of the
 * other hosts), adding and removing entries as needed, and says what changed. Idempotent; call
 * after {@link ensureVxlan}.
 */
export async function ensureFloodList(exec: NetExec, name: string, peers: readonly string[]): Promise<{ added: string[]; removed: string[] }> {
  const cmds = floodListCommands(name, await floodPeers(exec, name), peers);
  await runPlan(exec, cmds);
  const changed = (verb: string) => cmds.filter((c) => c.args[1] === verb).map((c) => c.args.at(-1)!);
  return { added: changed('append'), removed: changed('del') };
}
