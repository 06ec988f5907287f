/**
 * Webhook signatures: `x-herd-signature-256: sha256=<hex HMAC-SHA256 of the raw body with the
 * webhook's secret>`, as GitHub does it. Receivers recompute it over the bytes they got and
 * compare in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature. */
export const signatureHeader = 'x-herd-signature-256';

/** The signature header's value for `body`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Checks a signature header against `body` in constant time. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}
