import { randomBytes } from 'node:crypto';
import { HerdError } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { ForwardSigner, forwardHeaders, hostActor, hostOfActor, type ForwardClaim, type ForwardHeaderValues } from './forward-signature.js';

const key = randomBytes(32);
const signer = new ForwardSigner(key);
const now = 1_700_000_000_000;
const claim: ForwardClaim = { method: 'POST', url: '/api/v1/vms/web/actions/stop?wait=true', by: 'a', actingUser: 'user-1', project: 'team', time: now };

/** The header values a receiver reads off a request signed for `c`. */
function values(c: ForwardClaim, over: Partial<Record<keyof typeof forwardHeaders, string | undefined>> = {}): ForwardHeaderValues {
  const h = signer.headers(c);
  return {
    by: h[forwardHeaders.by],
    actingUser: h[forwardHeaders.actingUser],
    time: h[forwardHeaders.time],
    signature: h[forwardHeaders.signature],
    ...over,
  };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HerdError);
    expect((e as HerdError).code).toBe('unauthenticated');
    expect((e as HerdError).status).toBe(401);
    return (e as HerdError).message;
  }
  throw new Error('not refused');
}

describe('forward signatures', () => {
  it('a request signed with the cluster key is accepted as the user it names', () => {
    expect(signer.verify(claim.method, claim.url, claim.project, values(claim), now + 1000)).toEqual(claim);
  });

  it('a request without forward headers is an ordinary one', () => {
    expect(signer.verify('GET', '/api/v1/vms', undefined, {}, now)).toBeUndefined();
  });

  it('is refused when the path or query was changed', () => {
    expect(refusal(() => signer.verify(claim.method, '/api/v1/vms/db/actions/stop?wait=true', claim.project, values(claim), now))).toMatch(/signature that does not match/);
    expect(refusal(() => signer.verify(claim.method, '/api/v1/vms/web/actions/stop', claim.project, values(claim), now))).toMatch(/does not match/);
    expect(refusal(() => signer.verify('DELETE', claim.url, claim.project, values(claim), now))).toMatch(/does not match/);
  });

  it('is refused when the acting user, the relaying host or the project was changed', () => {
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, values(claim, { actingUser: 'user-2' }), now))).toMatch(/does not match/);
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, values(claim, { by: 'c' }), now))).toMatch(/from 'c'/);
    expect(refusal(() => signer.verify(claim.method, claim.url, 'other', values(claim), now))).toMatch(/does not match/);
    expect(refusal(() => signer.verify(claim.method, claim.url, undefined, values(claim), now))).toMatch(/does not match/);
  });

  it('is refused when the time was changed, even to a fresh one', () => {
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, values(claim, { time: String(now + 1) }), now))).toMatch(/does not match/);
  });

  it('is refused when older or further ahead than 30 s', () => {
    expect(signer.verify(claim.method, claim.url, claim.project, values(claim), now + 30_000)).toEqual(claim);
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, values(claim), now + 30_001))).toMatch(/signed 30 s ago.*NTP/);
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, values(claim), now - 45_000))).toMatch(/45 s ahead/);
  });

  it('is refused when signed with another key', () => {
    const other = new ForwardSigner(randomBytes(32));
    const h = other.headers(claim);
    const forged = { by: h[forwardHeaders.by], actingUser: h[forwardHeaders.actingUser], time: h[forwardHeaders.time], signature: h[forwardHeaders.signature] };
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, forged, now))).toMatch(/forward key/);
  });

  it('is refused when a header is missing, or the signature or time is malformed', () => {
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, values(claim, { signature: undefined }), now))).toMatch(/lacks x-herd-forward-signature/);
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, { by: 'a' }, now))).toMatch(/lacks x-herd-acting-user, x-herd-forward-time, x-herd-forward-signature/);
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, values(claim, { signature: 'short' }), now))).toMatch(/does not match/);
    expect(refusal(() => signer.verify(claim.method, claim.url, claim.project, values(claim, { time: 'soon' }), now))).toMatch(/malformed/);
  });

  it('names hosts acting on their own behalf', () => {
    expect(hostOfActor(hostActor('b'))).toBe('b');
    expect(hostOfActor('user-1')).toBeUndefined();
    expect(hostOfActor('@host:')).toBeUndefined();
  });

  it('refuses a short key', () => {
    expect(() => new ForwardSigner(randomBytes(16))).toThrow(/32 bytes/);
  });
});
