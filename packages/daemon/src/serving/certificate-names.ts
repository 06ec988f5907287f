/**
 * The names and addresses herd's server certificate must be valid for: the host's name,
 * `localhost` and the loopback addresses, and the address it listens on, or, when it listens on
 * every address (0.0.0.0, ::), each address of the host's interfaces.
 */
import { isIP } from 'node:net';
import { hostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isWildcardHost } from './listen-address.js';

/** Subject alternative names of a server certificate. */
export interface CertificateNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

// Only DNS-safe names go into the certificate (and into the openssl config that makes it).
const dnsName = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * What a certificate for a server on `listenHost` must cover. The interfaces and host name are
 * parameters for tests; by default they are this host's.
 */
export function certificateNames(
  listenHost: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
  hostName: string = hostname(),
): CertificateNames {
  const dns = new Set<string>(['localhost']);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  for (const name of [hostName, ...(isIP(listenHost) ? [] : [listenHost])]) if (dnsName.test(name)) dns.add(name.toLowerCase());
  if (isWildcardHost(listenHost)) {
    // 0.0.0.0 takes IPv4 connections only; :: takes both families. Link-local IPv6 addresses
    // need a zone to be reached, which a certificate cannot name.
    const families = listenHost === '0.0.0.0' ? ['IPv4'] : ['IPv4', 'IPv6'];
    for (const a of Object.values(interfaces).flat())
      if (a && !a.internal && families.includes(a.family) && !a.address.toLowerCase().startsWith('fe80:')) ips.add(a.address);
  } else if (isIP(listenHost)) ips.add(listenHost);
  return { dns: [...dns], ips: [...ips] };
}

/**
 * `names` and also `host` (a DNS name or an IP address, e.g. the host of `--advertise`), for a
 * certificate that other hosts reach under that name.
 */
export function withHost(names: CertificateNames, host: string): CertificateNames {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(h)) return names.ips.includes(h) ? names : { dns: names.dns, ips: [...names.ips, h] };
  if (!dnsName.test(h) || names.dns.includes(h.toLowerCase())) return names;
  return { dns: [...names.dns, h.toLowerCase()], ips: names.ips };
}
