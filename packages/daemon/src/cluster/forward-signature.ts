/**
 * How one host of a cluster vouches for a request it relays to another: it names itself and the
 * user it acts for, stamps the time, and signs method, path and query, those names and the time
 * with the cluster's forward key (HMAC-SHA256; `cluster_secrets` row `forward.key`, which every
 * host reads from the shared database). The receiver then serves the request as that user
 * without their token, which stays with the host they called.
 *
 * The signature does not cover the body: hosts talk over TLS with the cluster's CA, so a
 * signature cannot be lifted off the wire and replayed with another body; the time limit bounds
 * a replay by anyone who could read the database, who holds the cluster anyway.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HerdError } from '@herd/api';

/** Request headers of a forwarded request. */
export const forwardHeaders = {
  /** The host that relayed the request. */
  by: 'x-herd-forwarded-by',
  /** Whom the request acts for: a user id, {@link rootActor} or a {@link hostActor}; empty when the receiver authenticates the caller itself (console tickets). */
  actingUser: 'x-herd-acting-user',
  /** Milliseconds since the epoch when it was signed. */
  time: 'x-herd-forward-time',
  signature: 'x-herd-forward-signature',
} as const;

/** The acting user that stands for root on the forwarding host's local socket. */
export const rootActor = '@root';

/** The acting user of a host calling another host on its own behalf (a cluster administrator). */
export function hostActor(hostName: string): string {
  return `@host:${hostName}`;
}

/** The host name in a {@link hostActor}, or undefined when `actor` is not one. */
export function hostOfActor(actor: string): string | undefined {
  return actor.startsWith('@host:') && actor.length > '@host:'.length ? actor.slice('@host:'.length) : undefined;
}

/** A forward signature older (or further ahead) than this is refused. */
export const forwardMaxAgeMs = 30_000;

/** What a forward signature covers. */
export interface ForwardClaim {
  readonly method: string;
  /** Path and query exactly as sent on the request line. */
  readonly url: string;
  /** The host that relayed it. */
  readonly by: string;
  readonly actingUser: string;
  /** The `x-herd-project` header as the caller sent it; undefined when they sent none. */
  readonly project?: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

/** Header values of a request that may have been forwarded (undefined: not sent). */
export type ForwardHeaderValues = { readonly [K in keyof typeof forwardHeaders]?: string };

/** Signs and checks forwarded requests with the cluster's forward key. One per daemon. */
export class ForwardSigner {
  readonly #key: Buffer;

  /** `key`: the cluster's forward key, 32 random bytes. */
  constructor(key: Buffer) {
    if (key.length < 32) throw new Error(`the forward key must have at least 32 bytes, not ${key.length}`);
    this.#key = key;
  }

  /** The headers that carry `claim` and its signature. */
  headers(claim: ForwardClaim): Record<string, string> {
    return {
      [forwardHeaders.by]: claim.by,
      [forwardHeaders.actingUser]: claim.actingUser,
      [forwardHeaders.time]: String(claim.time),
      [forwardHeaders.signature]: this.#sign(claim),
    };
  }

  /**
   * The claim of a request that carries forward headers, once its signature is checked;
   * undefined when it carries none (an ordinary request). Throws unauthenticated (401) when any
   * is missing or malformed, the signature does not match, or it is more than 30 s away from
   * `nowMs`. The comparison takes constant time.
   */
  verify(method: string, url: string, project: string | undefined, h: ForwardHeaderValues, nowMs = Date.now()): ForwardClaim | undefined {
    if (h.by === undefined && h.actingUser === undefined && h.time === undefined && h.signature === undefined) return undefined;
    const refuse = (reason: string) => new HerdError('unauthenticated', { reason: `the forwarded request ${reason}` });
    if (h.by === undefined || h.actingUser === undefined || h.time === undefined || h.signature === undefined)
      throw refuse(`lacks ${Object.entries(forwardHeaders).filter(([k]) => h[k as keyof ForwardHeaderValues] === undefined).map(([, v]) => v).join(', ')}`);
    if (!/^[0-9]{1,16}$/.test(h.time)) throw refuse(`has a malformed ${forwardHeaders.time}`);
    const claim: ForwardClaim = { method, url, by: h.by, actingUser: h.actingUser, ...(project !== undefined && { project }), time: Number(h.time) };
    const expected = Buffer.from(this.#sign(claim), 'base64url');
    const given = Buffer.from(h.signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse(`from '${h.by}' has a signature that does not match; hosts must share the cluster's forward key`);
    // Checked after the signature, so an unsigned time is never reported as the reason.
    const age = nowMs - claim.time;
    if (Math.abs(age) > forwardMaxAgeMs)
      throw refuse(`from '${h.by}' was signed ${Math.round(Math.abs(age) / 1000)} s ${age > 0 ? 'ago' : 'ahead'}; the hosts' clocks must agree within ${forwardMaxAgeMs / 1000} s (check NTP)`);
    return claim;
  }

  #sign(c: ForwardClaim): string {
    // One field per line: none of them holds a newline (HTTP header values and request lines cannot).
    const text = ['herd-forward-v1', c.method.toUpperCase(), c.url, c.by, c.actingUser, c.project ?? '', String(c.time)].join('\n');
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }
}
