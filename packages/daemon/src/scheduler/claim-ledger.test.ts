import { describe, expect, it } from 'vitest';
import { ClaimLedger } from './claim-ledger.js';
import { place } from './place.js';
import { placeMany } from './place-many.js';
import { testHost, testVm } from './testing/builders.js';
import type { GroupRequest } from './types.js';

const db: GroupRequest = { name: 'db', policy: 'anti-affinity', hard: true, maxPerHost: 1 };
const tenHosts = () => Array.from({ length: 10 }, (_, i) => testHost(`h${String(i).padStart(2, '0')}`));

describe('ClaimLedger', () => {
  it('never breaks hard anti-affinity: 10 hosts take 10 members, the 11th and later say why not', () => {
    const ledger = new ClaimLedger(tenHosts());
    const results = Array.from({ length: 20 }, (_, i) => ledger.place(testVm(`db-${i + 1}`, { groups: [db] })));
    const placed = results.flatMap((r) => (r.ok ? [r.host] : []));
    expect(placed).toHaveLength(10);
    expect(new Set(placed).size).toBe(10);
    for (const r of results.slice(10)) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/^no host fits VM db-\d+ \(10 hosts\): h00, h01, h02 and 7 more: anti-affinity \(group db already has 1 of max 1 here\)$/);
    }
    expect(ledger.hosts.every((h) => h.groups.db === 1)).toBe(true);
    expect(ledger.groupTotal('db')).toBe(10);
  });

  it('sees its own claims: each placement lands where the ones before left room', () => {
    const ledger = new ClaimLedger([testHost('a', { memoryMiB: 4096 }), testHost('b', { memoryMiB: 4096 })]);
    const hosts = ['v1', 'v2', 'v3'].map((n) => ledger.place(testVm(n, { memoryMiB: 3072 })));
    expect(hosts.map((r) => r.ok && r.host)).toEqual(['a', 'b', false]);
    expect(ledger.host('a')!.used).toEqual({ vcpus: 1, memoryMiB: 3072, diskGiB: 10 });
  });

  it('refuses the second of two claims decided on the same stale view when both would overcommit', () => {
    const ledger = new ClaimLedger([testHost('only', { memoryMiB: 4096 })]);
    const stale = ledger.hosts.map((h) => ({ ...h, used: { ...h.used } }));
    const [a, b] = [testVm('a', { memoryMiB: 3072 }), testVm('b', { memoryMiB: 3072 })];
    // Two schedulers each decide on the same snapshot: both pick the only host.
    expect([place(stale, a), place(stale, b)]).toEqual([
      { ok: true, host: 'only' },
      { ok: true, host: 'only' },
    ]);
    expect(ledger.claim('only', a).ok).toBe(true);
    expect(ledger.claim('only', b)).toEqual({ ok: false, rejectedBy: { filter: 'capacity', reason: 'needs 3072 MiB memory, has 1024 MiB free of 4096×1.0' } });
    expect(ledger.host('only')!.used.memoryMiB).toBe(3072);
  });

  it('refuses the second of two stale claims that together would break an anti-affinity group', () => {
    const ledger = new ClaimLedger([testHost('h1'), testHost('h2')]);
    const first = place(ledger.hosts, testVm('db-1', { groups: [db] }));
    const second = place(ledger.hosts, testVm('db-2', { groups: [db] }));
    expect(first).toEqual(second);
    expect(ledger.claim('h1', testVm('db-1', { groups: [db] })).ok).toBe(true);
    expect(ledger.claim('h1', testVm('db-2', { groups: [db] }))).toEqual({ ok: false, rejectedBy: { filter: 'anti-affinity', reason: 'group db already has 1 of max 1 here' } });
    // Placed again, on the ledger's current view, it goes to the other host.
    expect(ledger.place(testVm('db-2', { groups: [db] }))).toMatchObject({ ok: true, host: 'h2' });
  });

  it('refuses a claim on a host it does not know', () => {
    expect(new ClaimLedger([]).claim('ghost', testVm('v'))).toEqual({ ok: false, rejectedBy: { filter: 'host', reason: 'no host ghost' } });
  });

  it('release gives back exactly what the claim took, once', () => {
    const ledger = new ClaimLedger(tenHosts());
    const r = ledger.place(testVm('db-1', { vcpus: 3, groups: [db, { name: 'db', policy: 'anti-affinity', hard: false }] }));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.claim.groups).toEqual(['db']);
    expect(ledger.host(r.host)!.groups.db).toBe(1);
    expect(ledger.release(r.claim)).toBe(true);
    expect(ledger.release(r.claim)).toBe(false);
    expect(ledger.host(r.host)).toMatchObject({ used: { vcpus: 0, memoryMiB: 0, diskGiB: 0 }, groups: { db: 0 } });
    expect(ledger.groupTotal('db')).toBe(0);
  });

  it('keeps hard affinity groups together', () => {
    const ledger = new ClaimLedger(tenHosts());
    const pair: GroupRequest = { name: 'pair', policy: 'affinity', hard: true };
    const hosts = ['p1', 'p2', 'p3'].map((n) => ledger.place(testVm(n, { groups: [pair] })));
    expect(new Set(hosts.map((r) => r.ok && r.host)).size).toBe(1);
  });

  it('works on copies: the hosts it was given do not change', () => {
    const hosts = tenHosts();
    const before = JSON.stringify(hosts);
    const ledger = new ClaimLedger(hosts);
    ledger.place(testVm('v', { groups: [db] }));
    expect(JSON.stringify(hosts)).toBe(before);
  });

  it('refuses hosts listed twice', () => {
    expect(() => new ClaimLedger([testHost('a'), testHost('a')])).toThrow('host a is listed twice');
  });
});

describe('placeMany', () => {
  it('places higher priorities first, so the low-priority VMs are the ones left out', () => {
    const ledger = new ClaimLedger([testHost('only', { memoryMiB: 4096 })]);
    const vms = [testVm('low-1', { memoryMiB: 2048 }), testVm('high', { memoryMiB: 2048, priority: 10 }), testVm('low-2', { memoryMiB: 2048 })];
    const results = placeMany(ledger, vms);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
  });
});
