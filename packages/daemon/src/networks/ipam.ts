/**
 * IPv4 address management for herd networks. Pure: parsing and checking CIDRs and ranges, and
 * choosing addresses given those already taken. The database's unique (network, ip) index is
 * what makes a choice stick when two requests race.
 */
import { formatIpv4, parseIpv4, prefixMask } from '../net/ipv4.js';

/** An IPv4 network. */
export interface Subnet {
  /** Network address as a 32-bit unsigned number. */
  readonly base: number;
  readonly prefix: number;
}

/** Parses dotted-quad `ip` into a number; undefined when it is not one. */
export const parseIp = parseIpv4;

/** Formats a 32-bit number as dotted quad. */
export const formatIp = formatIpv4;

/** Parses `a.b.c.d/p`; throws a message naming what is wrong (host bits set, bad prefix). */
export function parseCidr(cidr: string): Subnet {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
  const ip = m ? parseIp(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) throw new Error(`'${cidr}' is not an IPv4 network such as 10.0.0.0/24`);
  if (prefix < 16 || prefix > 29) throw new Error(`a /${prefix} network is not supported; use a prefix from /16 to /29`);
  const base = (ip & mask(prefix)) >>> 0;
  if (base !== ip) throw new Error(`'${cidr}' has host bits set; did you mean ${formatIp(base)}/${prefix}?`);
  return { base, prefix };
}

/** The netmask of a prefix length, as a number. */
export const mask = prefixMask;

/** The broadcast address of `s`. */
export function broadcast(s: Subnet): number {
  return (s.base | (~mask(s.prefix) >>> 0)) >>> 0;
}

/** Whether `ip` is a host address of `s` (not its network or broadcast address). */
export function isHost(s: Subnet, ip: number): boolean {
  return ip > s.base && ip < broadcast(s);
}

/** Whether two networks share any address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base <= broadcast(b) && b.base <= broadcast(a);
}

/** The defaults of a network: gateway = first host, DHCP range = the second host to the last. */
export function defaultsOf(s: Subnet): { gateway: number; start: number; end: number } {
  return { gateway: s.base + 1, start: s.base + 2, end: broadcast(s) - 1 };
}

/**
 * Checks a DHCP range against its network and gateway; returns the problem, or undefined.
 */
export function rangeProblem(s: Subnet, gateway: number, start: number, end: number): string | undefined {
  if (!isHost(s, start) || !isHost(s, end)) return 'the DHCP range must lie inside the network (not its network or broadcast address)';
  if (start > end) return 'the DHCP range starts after it ends';
  if (gateway >= start && gateway <= end) return `the gateway ${formatIp(gateway)} lies inside the DHCP range`;
  return undefined;
}

/**
 * Chooses an address for a NIC: `wanted` if it is a free host address of the network (any
 * host address, inside the range or not, except the gateway), else the lowest free address of
 * the range. Returns a reason instead when that is impossible.
 */
export function chooseAddress(
  s: Subnet,
  gateway: number,
  range: { start: number; end: number },
  taken: ReadonlySet<number>,
  wanted?: number,
): { ip: number } | { problem: 'not-in-network' | 'gateway' | 'taken' | 'exhausted' } {
  if (wanted !== undefined) {
    if (!isHost(s, wanted)) return { problem: 'not-in-network' };
    if (wanted === gateway) return { problem: 'gateway' };
    if (taken.has(wanted)) return { problem: 'taken' };
    return { ip: wanted };
  }
  for (let ip = range.start; ip <= range.end; ip++) if (!taken.has(ip) && ip !== gateway) return { ip };
  return { problem: 'exhausted' };
}
