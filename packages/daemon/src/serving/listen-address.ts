/**
 * The `--listen` address: `HOST:PORT` (TCP) or `unix:PATH`, and whether a TCP host is loopback,
 * which decides whether plain HTTP is allowed on it.
 */
import { BlockList, isIP } from 'node:net';

/** A parsed `--listen` value. */
export type ListenAddress = { readonly kind: 'unix'; readonly path: string } | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** Parses `--listen`; throws with an example when it is neither `HOST:PORT` nor `unix:PATH`. */
export function parseListen(listen: string): ListenAddress {
  if (listen.startsWith('unix:')) {
    const path = listen.slice('unix:'.length);
    if (!path) throw new Error(`--listen '${listen}' names no socket path (for example unix:/run/herd/api.sock)`);
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new Error(`--listen '${listen}' is not host:port (for example 127.0.0.1:8080) or unix:PATH`);
  return { kind: 'tcp', host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/**
 * True for addresses only this machine can reach: 127.0.0.0/8, ::1 (also as ::ffff:127.x) and
 * `localhost`. Any other host name counts as reachable from outside, even if it resolves to
 * loopback today, so that a mistake errs towards TLS.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const v = isIP(host);
  return v !== 0 && loopback.check(host, v === 4 ? 'ipv4' : 'ipv6');
}

// BlockList also matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against the IPv4 subnet.
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True for the "every address" hosts 0.0.0.0 and ::, on which a server answers any interface. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || (isIP(host) === 6 && /^[0:]+$/.test(host));
}

/** The URL of a TCP listener, with IPv6 hosts in brackets. */
export function tcpUrl(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
