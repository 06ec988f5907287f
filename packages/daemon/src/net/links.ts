/**
 * Bridges and tap devices, through iproute2: the layer-2 plumbing under herd's networks. A nat or
 * isolated network is a Linux bridge herd owns (STP off, forward delay 0, so a new port forwards
 * at once; the bridge's address is the network's gateway); a VM NIC is a tap device QEMU opens by
 * name (`-netdev tap,ifname=NAME,script=no,downscript=no`), made a port of the bridge first.
 *
 * Each `ensure*` reads the link's state (`ip -j -d addr show`), plans the commands that close the
 * gap (pure, so tested without a kernel) and runs only those: repeating a call changes nothing.
 * All need root (CAP_NET_ADMIN in the namespace of `exec`).
 */
import { ExecError, type ExecResult } from '../host/exec.js';
import { checkLinkName } from './link-names.js';
import { isLinkMissing, parseBridgeVlanShow, parseIpAddrShow, parseLinkNames, type LinkState, type PortVlan } from './link-state.js';
import { parseIpv4Prefixed } from './ipv4.js';
import type { NetExec } from './net-exec.js';

/** One command of a plan: the program and its arguments. */
export interface NetCommand {
  readonly command: 'ip' | 'bridge' | 'sysctl';
  readonly args: readonly string[];
}

/** What a bridge herd owns should look like. Unset fields are left as they are. */
export interface BridgeSpec {
  readonly mtu?: number;
  /** The bridge's IPv4 address with prefix (`10.0.0.1/24`): its only one once ensured. */
  readonly address?: string;
  /**
   * The bridge's own MAC address. Set, it stays fixed; unset, the kernel picks one and changes it
   * as ports come and go.
   */
  readonly mac?: string;
  /** VLAN filtering, needed for taps with a `vlan` (the kernel needs CONFIG_BRIDGE_VLAN_FILTERING). */
  readonly vlanFiltering?: boolean;
  /**
   * With VLAN filtering: the VLAN of the bridge's own address (where the gateway and dnsmasq
   * listen) and the default of new ports. Set it to the network's VLAN, or guests on access
   * ports of that VLAN cannot reach the gateway, which stays in the default VLAN 1.
   */
  readonly pvid?: number;
}

/** What a tap device should look like. */
export interface TapSpec {
  /** The bridge it is a port of; it must exist. */
  readonly bridge: string;
  readonly mtu?: number;
  /** Make it an access port of this VLAN (1-4094): untagged frames in and out, no other VLAN. */
  readonly vlan?: number;
  /**
   * Let this uid open it without CAP_NET_ADMIN: the user a confined QEMU runs as, which opens
   * hot-plugged NICs' taps long after it has started. Absent: only root can.
   */
  readonly user?: number;
}

const ip = (...args: string[]): NetCommand => ({ command: 'ip', args });
const bridgeCmd = (...args: string[]): NetCommand => ({ command: 'bridge', args });

// Options every bridge herd owns has. nf_call_ip(6)tables passes bridged traffic through the IP
// hooks, where conntrack sees it: security groups need connection state, and kernels built
// without nf_conntrack_bridge have none in the bridge hooks (see security-group-ruleset.ts).
// Set per bridge, it holds whatever the net.bridge.bridge-nf-call-iptables sysctl says.
const BRIDGE_OPTIONS = ['stp_state', '0', 'forward_delay', '0', 'nf_call_iptables', '1', 'nf_call_ip6tables', '1'] as const;

function checkMtu(mtu: number | undefined): void {
  if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535)) throw new RangeError(`MTU ${mtu} is out of range: give 68 to 65535`);
}

function checkVlan(vid: number): void {
  if (!(Number.isInteger(vid) && vid >= 1 && vid <= 4094)) throw new RangeError(`VLAN ${vid} is out of range: give 1 to 4094`);
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function checkUnicastMac(mac: string): void {
  if (!MAC.test(mac) || (parseInt(mac.slice(0, 2), 16) & 1) === 1) throw new RangeError(`'${mac}' is not a unicast MAC address in lower case such as 0a:00:5e:12:34:56`);
}

function checkBridgeAddress(address: string): void {
  const p = parseIpv4Prefixed(address);
  if (!p || p.prefixLength < 1 || p.prefixLength > 30) throw new RangeError(`bridge address '${address}' is not an IPv4 address with a prefix such as 10.0.0.1/24`);
}

/**
 * Plans how to bring bridge `name` from `current` (undefined: it does not exist) to `spec`.
 * Throws when a link of that name exists and is not a bridge. Pure.
 */
export function bridgeCommands(name: string, current: LinkState | undefined, spec: BridgeSpec): NetCommand[] {
  checkLinkName(name);
  checkMtu(spec.mtu);
  if (spec.address !== undefined) checkBridgeAddress(spec.address);
  if (spec.mac !== undefined) checkUnicastMac(spec.mac);
  if (spec.pvid !== undefined) {
    checkVlan(spec.pvid);
    if (spec.vlanFiltering !== true) throw new RangeError(`bridge ${name}: a pvid needs vlanFiltering`);
  }
  const pvid = spec.pvid === undefined ? [] : ['vlan_default_pvid', String(spec.pvid)];
  const cmds: NetCommand[] = [];
  if (current === undefined) {
    cmds.push(ip('link', 'add', 'name', name, 'type', 'bridge', ...BRIDGE_OPTIONS, ...(spec.vlanFiltering ? ['vlan_filtering', '1', ...pvid] : [])));
    if (spec.mtu !== undefined) cmds.push(ip('link', 'set', 'dev', name, 'mtu', String(spec.mtu)));
    if (spec.mac !== undefined) cmds.push(ip('link', 'set', 'dev', name, 'address', spec.mac));
    if (spec.address !== undefined) cmds.push(ip('addr', 'replace', spec.address, 'dev', name));
    cmds.push(ip('link', 'set', 'dev', name, 'up'));
    return cmds;
  }
  const b = current.bridge;
  if (current.kind !== 'bridge' || b === undefined) throw new Error(`${name} exists and is ${current.kind ? `a ${current.kind} link` : 'a plain device'}, not a bridge`);
  // The kernel applies forward_delay before stp_state, and refuses a delay under 2 s while STP
  // is on (ERANGE, "Numerical result out of range"): turn STP off in a command of its own first.
  if (b.stpState !== 0) cmds.push(ip('link', 'set', 'dev', name, 'type', 'bridge', 'stp_state', '0'));
  const options: string[] = [];
  if (b.forwardDelay !== 0) options.push('forward_delay', '0');
  if (!b.nfCallIptables) options.push('nf_call_iptables', '1');
  if (!b.nfCallIp6tables) options.push('nf_call_ip6tables', '1');
  if (spec.vlanFiltering !== undefined && spec.vlanFiltering !== b.vlanFiltering) options.push('vlan_filtering', spec.vlanFiltering ? '1' : '0');
  if (spec.pvid !== undefined && spec.pvid !== b.vlanDefaultPvid) options.push(...pvid);
  if (options.length) cmds.push(ip('link', 'set', 'dev', name, 'type', 'bridge', ...options));
  if (spec.mtu !== undefined && spec.mtu !== current.mtu) cmds.push(ip('link', 'set', 'dev', name, 'mtu', String(spec.mtu)));
  if (spec.mac !== undefined && spec.mac !== current.mac) cmds.push(ip('link', 'set', 'dev', name, 'address', spec.mac));
  if (spec.address !== undefined) {
    if (!current.ipv4.includes(spec.address)) cmds.push(ip('addr', 'replace', spec.address, 'dev', name));
    // The bridge is herd's: an address left from an earlier CIDR of the network would still route.
    for (const other of current.ipv4) if (other !== spec.address) cmds.push(ip('addr', 'del', other, 'dev', name));
  }
  if (!current.up) cmds.push(ip('link', 'set', 'dev', name, 'up'));
  return cmds;
}

/**
 * Plans how to bring tap `name` from `current` (undefined: it does not exist) to a port of
 * `spec.bridge` that is up. VLAN membership is planned separately ({@link portVlanCommands}),
 * since it needs the port's VLANs. Throws when a link of that name exists and is not a tap. Pure.
 */
export function tapCommands(name: string, existing: LinkState | undefined, spec: TapSpec): NetCommand[] {
  checkLinkName(name);
  checkLinkName(spec.bridge);
  checkMtu(spec.mtu);
  if (spec.vlan !== undefined) checkVlan(spec.vlan);
  if (spec.user !== undefined && !(Number.isInteger(spec.user) && spec.user >= 0 && spec.user < 0xffffffff)) throw new RangeError(`uid ${spec.user} is not a valid user id`);
  if (existing !== undefined && (existing.kind !== 'tun' || existing.tunType !== 'tap')) {
    throw new Error(`${name} exists and is ${existing.kind ? `a ${existing.kind}${existing.tunType ? ` (${existing.tunType})` : ''} link` : 'a plain device'}, not a tap`);
  }
  const cmds: NetCommand[] = [];
  let current = existing;
  // A tap's owner is set when it is made, never changed: one of another user (left by a crash,
  // or from before confinement) is made again. It is not in use: taps are ensured before QEMU opens them.
  if (current !== undefined && spec.user !== undefined && current.tunUser !== spec.user) {
    cmds.push(ip('link', 'del', 'dev', name));
    current = undefined;
  }
  // vnet_hdr: QEMU's virtio-net then passes checksum and segmentation offloads through the tap.
  if (current === undefined) cmds.push(ip('tuntap', 'add', 'dev', name, 'mode', 'tap', 'vnet_hdr', ...(spec.user !== undefined ? ['user', String(spec.user)] : [])));
  const set: string[] = [];
  if (spec.mtu !== undefined && spec.mtu !== current?.mtu) set.push('mtu', String(spec.mtu));
  if (current?.master !== spec.bridge) set.push('master', spec.bridge);
  if (!current?.up) set.push('up');
  if (set.length) cmds.push(ip('link', 'set', 'dev', name, ...set));
  return cmds;
}

/**
 * Plans how to make bridge port `port`, now a member of the VLANs `current`, an access port of
 * VLAN `vid`: `vid` its PVID and untagged, every other VLAN (the default 1 included) removed. Pure.
 */
export function portVlanCommands(port: string, current: readonly PortVlan[], vid: number): NetCommand[] {
  checkLinkName(port);
  checkVlan(vid);
  const cmds: NetCommand[] = [];
  const exact = (v: PortVlan) => v.vid === vid && v.vidEnd === vid;
  for (const v of current) if (!exact(v)) cmds.push(bridgeCmd('vlan', 'del', 'dev', port, 'vid', v.vid === v.vidEnd ? String(v.vid) : `${v.vid}-${v.vidEnd}`));
  if (!current.some((v) => exact(v) && v.pvid && v.untagged)) cmds.push(bridgeCmd('vlan', 'add', 'dev', port, 'vid', String(vid), 'pvid', 'untagged'));
  return cmds;
}

// --- wrappers ------------------------------------------------------------------------------

const TIMEOUT_MS = 15_000;

async function runCommand(exec: NetExec, c: NetCommand, allowFailure = false): Promise<ExecResult> {
  // LC_ALL=C: the messages matched below (isLinkMissing, "Operation not supported") are English.
  return exec.run(c.command, c.args, { timeoutMs: TIMEOUT_MS, allowFailure, env: { ...process.env, LC_ALL: 'C' } });
}

async function runAll(exec: NetExec, cmds: readonly NetCommand[]): Promise<void> {
  for (const c of cmds) await runCommand(exec, c);
}

/** Runs planned commands in order in the namespace of `exec`; throws ExecError on the first that fails. */
export async function runPlan(exec: NetExec, cmds: readonly NetCommand[]): Promise<void> {
  await runAll(exec, cmds);
}

/** Reads link `name` (`ip -j -d addr show`), or undefined when there is none. May be called at any time. */
export async function readLink(exec: NetExec, name: string): Promise<LinkState | undefined> {
  return linkState(exec, name);
}

/** Reads link `name`, or undefined when there is none. */
async function linkState(exec: NetExec, name: string): Promise<LinkState | undefined> {
  const c = ip('-j', '-d', 'addr', 'show', 'dev', checkLinkName(name));
  const r = await runCommand(exec, c, true);
  if (r.code !== 0) {
    if (isLinkMissing(r.stderr)) return undefined;
    throw new ExecError(c.command, c.args, r);
  }
  return parseIpAddrShow(r.stdout).find((l) => l.name === name);
}

function vlanUnsupported(e: unknown): boolean {
  return e instanceof ExecError && /Operation not supported/.test(e.result.stderr);
}

/**
 * Makes bridge `name`, or brings an existing one to `spec`: STP off and forward delay 0, bridged
 * traffic visible to conntrack, the given MTU and MAC, `spec.address` as its only IPv4 address, up.
 * Idempotent; only for bridges herd owns (it removes other addresses). Throws when `name` is
 * taken by another kind of link, or VLAN filtering is asked of a kernel without it.
 */
export async function ensureBridge(exec: NetExec, name: string, spec: BridgeSpec = {}): Promise<void> {
  try {
    await runAll(exec, bridgeCommands(name, await linkState(exec, name), spec));
  } catch (e) {
    if (spec.vlanFiltering && vlanUnsupported(e)) {
      throw new Error(`cannot turn on VLAN filtering on bridge ${name}: this kernel was built without it (CONFIG_BRIDGE_VLAN_FILTERING), so VLAN-tagged networks cannot work on this host`, { cause: e });
    }
    // Made by someone else between our look and our `ip link add`: plan again from what is there.
    if (e instanceof ExecError && /File exists/.test(e.result.stderr)) return runAll(exec, bridgeCommands(name, await linkState(exec, name), spec));
    throw e;
  }
}

/**
 * Makes bridged IPv4 and IPv6 traffic on bridge `name` pass the IP netfilter hooks (per bridge,
 * whatever the host's bridge-nf-call sysctls say), as security groups need. For bridges herd
 * does not own (`bridged` networks); {@link ensureBridge} already does it for herd's. Note that
 * the host's own IP forward rules then also see traffic between that bridge's ports. Idempotent.
 */
export async function ensureBridgeNetfilter(exec: NetExec, name: string): Promise<void> {
  const current = await linkState(exec, name);
  if (current?.bridge === undefined) throw new Error(current ? `${name} is not a bridge` : `bridge ${name} does not exist`);
  if (current.bridge.nfCallIptables && current.bridge.nfCallIp6tables) return;
  await runCommand(exec, ip('link', 'set', 'dev', name, 'type', 'bridge', 'nf_call_iptables', '1', 'nf_call_ip6tables', '1'));
}

/**
 * Makes tap `name` (for QEMU to open by name), a port of `spec.bridge`, up; with `spec.vlan`, an
 * access port of that VLAN, which needs the bridge's VLAN filtering on. Idempotent. Call before
 * starting the VM's QEMU; throws when the bridge is missing or `name` is another kind of link.
 */
export async function ensureTap(exec: NetExec, name: string, spec: TapSpec): Promise<void> {
  const bridge = await linkState(exec, spec.bridge);
  if (bridge?.bridge === undefined) throw new Error(bridge ? `${spec.bridge} is not a bridge, so tap ${name} cannot join it` : `bridge ${spec.bridge} does not exist, so tap ${name} cannot join it`);
  if (spec.vlan !== undefined && !bridge.bridge.vlanFiltering) {
    throw new Error(`bridge ${spec.bridge} does not filter VLANs, so tap ${name} cannot be put in VLAN ${spec.vlan}: ensure the bridge with vlanFiltering first`);
  }
  await runAll(exec, tapCommands(name, await linkState(exec, name), spec));
  if (spec.vlan === undefined) return;
  const r = await runCommand(exec, bridgeCmd('-j', 'vlan', 'show', 'dev', name));
  await runAll(exec, portVlanCommands(name, parseBridgeVlanShow(r.stdout, name), spec.vlan));
}

/** Removes link `name` (bridge, tap, veth...). Idempotent: a missing link is success. Ports of a removed bridge stay, detached. */
export async function deleteLink(exec: NetExec, name: string): Promise<void> {
  const c = ip('link', 'del', 'dev', checkLinkName(name));
  const r = await runCommand(exec, c, true);
  if (r.code !== 0 && !isLinkMissing(r.stderr)) throw new ExecError(c.command, c.args, r);
}

/** Reports whether a link called `name` exists. May be called at any time. */
export async function linkExists(exec: NetExec, name: string): Promise<boolean> {
  return (await linkState(exec, name)) !== undefined;
}

/** Lists the names of links starting with `prefix` (`hb-`, `ht-`), for orphan sweeps. May be called at any time. */
export async function listLinks(exec: NetExec, prefix: string): Promise<string[]> {
  const r = await runCommand(exec, ip('-j', 'link', 'show'));
  return parseLinkNames(r.stdout).filter((n) => n.startsWith(prefix));
}

/**
 * Turns on IPv4 forwarding (net.ipv4.ip_forward=1) in the namespace of `exec`, which nat networks
 * need to route their guests' traffic out. Idempotent; it is never turned off again, since other
 * software on the host may rely on it too.
 */
export async function enableForwarding(exec: NetExec): Promise<void> {
  await runCommand(exec, { command: 'sysctl', args: ['-q', '-w', 'net.ipv4.ip_forward=1'] });
}
