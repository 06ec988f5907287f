import { describe, expect, it } from 'vitest';
import { ConsoleTickets } from './console-tickets.js';

const web = '6f1c2a4e-9b1d-4c55-8a3e-2f0d5b7c9e10';
const db = '0b9d1c2e-1111-4c55-8a3e-2f0d5b7c9e10';
const holder = { userId: 'u1', projectId: 'p1', console: 'vnc' } as const;

/** Tickets on a clock the test moves. */
function tickets(options: { max?: number } = {}) {
  let now = 1_000_000;
  const store = new ConsoleTickets({ now: () => now, ...options });
  return { store, advance: (ms: number) => (now += ms), now: () => now };
}

describe('console tickets', () => {
  it('are 32 random bytes in base64url, different every time, valid for 30 s', () => {
    const { store, now } = tickets();
    const a = store.issue(web, holder);
    const b = store.issue(web, holder);
    expect(a.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.ticket, 'base64url')).toHaveLength(32);
    expect(a.ticket).not.toBe(b.ticket);
    expect(a.expiresAt).toBe(now() + 30_000);
  });

  it('open once: a second use of the same ticket is refused', () => {
    const { store } = tickets();
    const { ticket } = store.issue(web, holder);
    expect(store.redeem(ticket, web)).toBe('ok');
    expect(store.redeem(ticket, web)).toBe('unknown');
    expect(store.size).toBe(0);
  });

  it('expire after 30 s, and are spent by the late try', () => {
    const { store, advance } = tickets();
    const early = store.issue(web, holder);
    const late = store.issue(web, holder);
    advance(29_999);
    expect(store.redeem(early.ticket, web)).toBe('ok');
    advance(1);
    expect(store.redeem(late.ticket, web)).toBe('expired');
    expect(store.redeem(late.ticket, web)).toBe('unknown');
  });

  it('are bound to their VM: another VM is refused, and the ticket is spent all the same', () => {
    const { store } = tickets();
    const { ticket } = store.issue(web, holder);
    expect(store.redeem(ticket, db)).toBe('wrong-vm');
    expect(store.redeem(ticket, web)).toBe('unknown');
  });

  it('refuse what was never issued', () => {
    const { store } = tickets();
    store.issue(web, holder);
    expect(store.redeem('', web)).toBe('unknown');
    expect(store.redeem('A'.repeat(43), web)).toBe('unknown');
  });

  it('do not pile up: expired ones are swept when new ones are issued, and the oldest go past the cap', () => {
    const { store, advance } = tickets({ max: 3 });
    store.issue(web, holder);
    store.issue(web, holder);
    advance(30_000);
    store.issue(web, holder);
    expect(store.size).toBe(1);
    const first = store.issue(db, holder);
    store.issue(db, holder);
    store.issue(db, holder);
    store.issue(db, holder);
    expect(store.size).toBe(3);
    expect(store.redeem(first.ticket, db)).toBe('unknown');
  });

  it('name their holder until spent, and open only the console they were issued for', () => {
    const { store } = tickets();
    const { ticket } = store.issue(web, { ...holder, console: 'serial' });
    expect(store.holder(ticket)).toMatchObject({ userId: 'u1', projectId: 'p1', console: 'serial' });
    expect(store.redeem(ticket, web, 'vnc')).toBe('wrong-console');
    expect(store.holder(ticket)).toBeUndefined();
    const again = store.issue(web, { ...holder, console: 'serial' });
    expect(store.redeem(again.ticket, web, 'serial')).toBe('ok');
  });
});
