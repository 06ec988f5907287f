/**
 * Names of the links herd makes: derived from ids, so doing something twice finds the same link
 * and fails safe, and an orphan sweep can tell herd's links from an operator's by prefix. Linux
 * limits interface names to 15 bytes (IFNAMSIZ 16 with the NUL), which is why only part of an id
 * fits. Pure.
 */

/** Prefix of the bridges herd makes for its nat and isolated networks. */
export const BRIDGE_PREFIX = 'hb-';
/** Prefix of the tap devices herd makes for VM NICs. */
export const TAP_PREFIX = 'ht-';
/** Prefix of the VXLAN devices herd makes for its vxlan networks. */
export const VXLAN_PREFIX = 'hx-';

/** Longest interface name Linux accepts, in bytes. */
export const MAX_LINK_NAME_BYTES = 15;

// Stricter than the kernel (which allows anything but '/', ':' and whitespace): these names go
// into nft rulesets, dnsmasq options and log lines, where quotes, commas or '*' would mean something.
const LINK_NAME = /^[A-Za-z0-9_.-]+$/;
// Names that would clash with the per-interface sysctl directories net/ipv4/conf/{all,default}.
const RESERVED = ['.', '..', 'all', 'default'];

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Explains why `name` cannot name a link herd makes or uses, or returns undefined when it can. */
export function linkNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'an interface name cannot be empty';
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_LINK_NAME_BYTES) return `interface name '${name}' is ${bytes} bytes long; Linux allows at most ${MAX_LINK_NAME_BYTES}`;
  if (!LINK_NAME.test(name)) return `'${name}' is not a usable interface name: use letters, digits and _ . -`;
  // A leading '-' would be read as an option by ip, bridge and sysctl.
  if (name.startsWith('-')) return `interface name '${name}' cannot start with '-'`;
  if (RESERVED.includes(name)) return `'${name}' is reserved and cannot name an interface`;
  return undefined;
}

/**
 * Explains why `name` cannot be the existing host bridge of a `bridged` network, or returns
 * undefined when it can. herd's own prefixes are refused: the orphan sweep would delete such a
 * bridge as a leftover of a deleted network.
 */
export function hostBridgeNameProblem(name: string): string | undefined {
  const problem = linkNameProblem(name);
  if (problem) return problem;
  for (const prefix of [BRIDGE_PREFIX, TAP_PREFIX, VXLAN_PREFIX]) {
    if (name.startsWith(prefix)) return `'${name}' starts with '${prefix}', which herd keeps for the links it makes; give the name of a bridge you made`;
  }
  return undefined;
}

/** Returns `name` when it is a usable interface name; throws RangeError saying why not otherwise. */
export function checkLinkName(name: string): string {
  const problem = linkNameProblem(name);
  if (problem) throw new RangeError(problem);
  return name;
}

/** The first `count` hex digits of a random (version 4) UUID; throws RangeError for anything else. */
function uuidHex(id: string, count: number, what: string): string {
  // Only a v4 UUID's leading digits are random; those of time-based UUIDs (v1, v7) are shared by
  // ids made close together, and two networks sharing a bridge name would share a bridge.
  if (!UUID_V4.test(id)) throw new RangeError(`${what} '${id}' is not a random (version 4) UUID, so no link name can be derived from it`);
  return id.replaceAll('-', '').slice(0, count).toLowerCase();
}

/** The bridge of nat, isolated or vxlan network `networkId` (a v4 UUID): `hb-` and its first 8 hex digits. */
export function bridgeName(networkId: string): string {
  return `${BRIDGE_PREFIX}${uuidHex(networkId, 8, 'network id')}`;
}

/** The tap device of NIC `nicId` (a v4 UUID): `ht-` and its first 10 hex digits. */
export function tapName(nicId: string): string {
  return `${TAP_PREFIX}${uuidHex(nicId, 10, 'NIC id')}`;
}

/**
 * The VXLAN device of vxlan network `networkId` (a v4 UUID): `hx-` and the same 8 hex digits as
 * its bridge, so that either name leads to the other.
 */
export function vxlanName(networkId: string): string {
  return `${VXLAN_PREFIX}${uuidHex(networkId, 8, 'network id')}`;
}
