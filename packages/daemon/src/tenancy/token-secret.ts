/**
 * API token secrets: `herd_` + the token's id (hex, no dashes) + `_` + 32 random bytes
 * (base64url). The id lets the daemon find the token without scanning; only the sha256 of the
 * whole secret is stored, and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new secret for token `id`. */
export function newTokenSecret(id: string): string {
  return `herd_${id.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The token id a secret names, or undefined when it is not a herd token. */
export function tokenIdOf(secret: string): string | undefined {
  const m = /^herd_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/.exec(secret);
  if (!m) return undefined;
  const h = m[1]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** True when `secret` hashes to `hash`. */
export function secretMatches(secret: string, hash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
