/**
 * The underlay of vxlan networks: the address each host sends and receives VXLAN packets on,
 * which is the IP of the address it advertises to the other hosts (`hosts.address`, such as
 * https://10.213.5.11:8443; a name there is resolved). Read from the `hosts` table on every pass,
 * so the flood lists follow hosts as they join, go offline and come back. A single host, or one
 * that advertises nothing, has no peers: its vxlan networks still work, on it alone.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Db } from '../store/open-database.js';

/** Resolves a host name to one address. */
export type Resolve = (name: string) => Promise<string>;

const resolveName: Resolve = async (name) => (await lookup(name)).address;

/**
 * The underlay IP of a host whose advertised base URL is `address` (its host part, resolved if
 * a name); undefined for a host that advertises nothing or whose name does not resolve.
 */
export async function underlayOf(address: string | null, resolve: Resolve = resolveName): Promise<string | undefined> {
  const host = hostPart(address);
  if (host === undefined) return undefined;
  if (isIP(host)) return host;
  return resolve(host).catch(() => undefined);
}

/** The host part of an advertised address, without IPv6 brackets; undefined when there is none. */
function hostPart(address: string | null): string | undefined {
  if (!address) return undefined;
  let url: URL;
  try {
    url = new URL(address.includes('://') ? address : `https://${address}`);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return host === '' ? undefined : host;
}

/**
 * The flood list a host with underlay address `local` should have, given the addresses of the
 * other online hosts: each once, never `local` itself, and only of `local`'s address family (an
 * IPv4 VXLAN device cannot send to an IPv6 peer). Pure.
 */
export function floodTargets(peers: readonly string[], local: string | undefined): string[] {
  const family = local === undefined ? undefined : isIP(local);
  return [...new Set(peers)].filter((p) => p !== local && (family === undefined || isIP(p) === family));
}

/** Reads the underlay of this host and of its peers from the `hosts` table. One per daemon. */
export class HostUnderlay {
  readonly #db: Db;
  readonly #hostName: string;
  readonly #advertise: string | undefined;
  readonly #resolve: Resolve;
  readonly #log: Logger;
  #local: string | undefined;
  readonly #unresolved = new Set<string>();

  /**
   * `hostName` is this host's row in `hosts`; `advertise`, when given, its advertised address
   * (else the one in its row is used).
   */
  constructor(db: Db, hostName: string, advertise: string | undefined, log: Logger, resolve: Resolve = resolveName) {
    this.#db = db;
    this.#hostName = hostName;
    this.#advertise = advertise;
    this.#resolve = resolve;
    this.#log = log;
    const host = hostPart(advertise ?? null);
    this.#local = host !== undefined && isIP(host) ? host : undefined;
  }

  /**
   * The underlay addresses of the other online hosts, from the database now; hosts without an
   * address, or whose name does not resolve, are left out. Also refreshes {@link localUnderlay}.
   */
  async peers(): Promise<string[]> {
    const rows = await this.#db.selectFrom('hosts').select(['name', 'address', 'status']).execute();
    const own = rows.find((r) => r.name === this.#hostName);
    this.#local = await underlayOf(this.#advertise ?? own?.address ?? null, this.#resolve);
    const peers: string[] = [];
    for (const r of rows) {
      if (r.name === this.#hostName || r.status !== 'online' || !r.address) continue;
      const ip = await underlayOf(r.address, this.#resolve);
      if (ip !== undefined) {
        this.#unresolved.delete(r.name);
        peers.push(ip);
      } else if (!this.#unresolved.has(r.name)) {
        // Once per host until it resolves again: the pass repeats every few seconds.
        this.#unresolved.add(r.name);
        this.#log.warn({ host: r.name, address: r.address }, 'cannot find the underlay address of a host; vxlan networks do not reach it');
      }
    }
    return peers;
  }

  /** This host's underlay address as of the last {@link peers} (or from `advertise` when it is an IP); undefined when it has none. */
  localUnderlay(): string | undefined {
    return this.#local;
  }
}
