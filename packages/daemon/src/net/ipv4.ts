/**
 * The IPv4 arithmetic the network primitives need to check what they are given before it
 * reaches `ip`, `nft` or dnsmasq, where a typo would become a confusing tool error or, worse, a
 * rule that matches something else. Pure.
 */

/** An IPv4 address with a prefix length, such as a bridge's `10.0.0.1/24` or a network's `10.0.0.0/24`. */
export interface Ipv4Prefixed {
  /** The address as an unsigned 32-bit number. */
  readonly address: number;
  readonly prefixLength: number;
}

/** Reads dotted-quad `text` (no leading zeros, which some tools read as octal), or returns undefined. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** Formats an unsigned 32-bit number as a dotted quad. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The netmask of a prefix length as a number (`24` → 0xffffff00). */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** The netmask of a prefix length in dotted form (`24` → `255.255.255.0`), as dnsmasq wants it. */
export function netmask(prefixLength: number): string {
  return formatIpv4(prefixMask(prefixLength));
}

/** Reads `a.b.c.d/n`, or returns undefined. Host bits may be set (`10.0.0.1/24` is an interface address). */
export function parseIpv4Prefixed(text: string): Ipv4Prefixed | undefined {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  if (!m) return undefined;
  const address = parseIpv4(m[1]!);
  const prefixLength = Number(m[2]);
  if (address === undefined || prefixLength > 32) return undefined;
  return { address, prefixLength };
}

/** Reports whether `address` lies inside `net`. */
export function inPrefix(net: Ipv4Prefixed, address: number): boolean {
  const mask = prefixMask(net.prefixLength);
  return ((net.address & mask) >>> 0) === ((address & mask) >>> 0);
}

/**
 * Checks that `text` is an IPv4 network (`10.0.0.0/24`, no host bits) and returns it unchanged.
 * Throws RangeError naming the problem: a rule for `10.0.0.5/24` would silently mean the whole /24.
 */
export function checkIpv4Network(text: string, what: string): string {
  const p = parseIpv4Prefixed(text);
  if (!p) throw new RangeError(`${what} '${text}' is not an IPv4 network such as 10.0.0.0/24`);
  const base = (p.address & prefixMask(p.prefixLength)) >>> 0;
  if (base !== p.address) throw new RangeError(`${what} '${text}' has host bits set; did you mean ${formatIpv4(base)}/${p.prefixLength}?`);
  return text;
}

/** Checks that `text` is a dotted-quad IPv4 address and returns it unchanged; throws RangeError otherwise. */
export function checkIpv4(text: string, what: string): string {
  if (parseIpv4(text) === undefined) throw new RangeError(`${what} '${text}' is not an IPv4 address such as 10.0.0.1`);
  return text;
}
