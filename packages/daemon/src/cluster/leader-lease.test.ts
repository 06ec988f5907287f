// The leader lease with two hosts on one database: a SQLite file opened twice, and PostgreSQL
// with two connection pools. Short leases; real timers.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/open-database.js';
import { sharedPostgres, stopSharedPostgres } from '../store/testing/postgres.js';
import { LeaderLease } from './leader-lease.js';
import { DbGate, gate } from './testing/db-gate.js';

const leaseMs = 600;
const renewMs = 200;
let dir: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'herd-leader-'));
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await stopSharedPostgres();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves once `check` holds, polling every 10 ms; fails after `ms`. */
async function eventually(check: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

describe.each(['sqlite', 'postgres'] as const)('the leader lease on %s', (dialect) => {
  /** Two handles on one database, as two hosts have. */
  async function twoHandles(): Promise<[Db, Db]> {
    const target = dialect === 'sqlite' ? join(dir, `${randomUUID()}.db`) : await (await sharedPostgres()).createDatabase();
    const a = await openDatabase(target);
    const b = await openDatabase(target);
    closers.push(() => a.destroy(), () => b.destroy());
    return [a, b];
  }

  function lease(db: Db, holder: string): LeaderLease {
    const l = new LeaderLease(db, { holder, leaseMs, renewMs });
    closers.push(() => l.stop());
    return l;
  }

  it('has one leader at a time, which another takes over within a lease and a renewal once it stops renewing', async () => {
    const [dbA, dbB] = await twoHandles();
    const a = lease(dbA, 'h1');
    const b = lease(dbB, 'h2');
    const elected: string[] = [];
    const deposed: string[] = [];
    for (const [name, l] of [['h1', a], ['h2', b]] as const) {
      l.onElected((term) => elected.push(`${name}:${term}`));
      l.onDeposed(() => deposed.push(name));
    }
    a.start();
    await eventually(() => a.isLeader(), 2000, 'h1 leads');
    b.start();
    // Several renewal periods: h1 keeps leading, h2 never does.
    const until = Date.now() + 3 * renewMs + 100;
    while (Date.now() < until) {
      expect(a.isLeader() && b.isLeader()).toBe(false);
      expect(a.isLeader()).toBe(true);
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(a.term).toBe(1);
    expect(b.term).toBeUndefined();

    // h1 stops renewing (a crash: no release). h2 takes over after h1's lease has run out.
    await a.stop();
    expect(a.isLeader()).toBe(false);
    const took = await eventually(() => b.isLeader(), leaseMs + renewMs + 500, 'h2 takes over');
    expect(took).toBeGreaterThan(renewMs);
    expect(took).toBeLessThanOrEqual(leaseMs + renewMs + 300);
    expect(b.term).toBe(2);
    expect(elected).toEqual(['h1:1', 'h2:2']);
    expect(deposed).toEqual(['h1']);
    // A subscriber that comes late hears of the current term at once.
    let late: number | undefined;
    b.onElected((t) => (late = t));
    expect(late).toBe(2);
  });

  it('hands over at once on release, and the term grows with every change of holder', async () => {
    const [dbA, dbB] = await twoHandles();
    const a = lease(dbA, 'h1');
    const b = lease(dbB, 'h2');
    expect(await a.attempt()).toBe(true);
    expect(await b.attempt()).toBe(false);
    expect(await a.attempt()).toBe(true);
    expect(a.term).toBe(1);
    await a.release();
    expect(a.isLeader()).toBe(false);
    // No waiting for the lease to run out.
    expect(await b.attempt()).toBe(true);
    expect(b.term).toBe(2);
    await b.release();
    const again = lease(dbA, 'h1');
    expect(await again.attempt()).toBe(true);
    expect(again.term).toBe(3);
  });

  it('a leader that cannot reach the database steps down by itself before another host can lead', async () => {
    const [dbA, dbB] = await twoHandles();
    const g = new DbGate();
    const a = lease(gate(dbA, g), 'h1');
    const b = lease(dbB, 'h2');
    // A held answer would keep its connection, and the pool from closing.
    closers.push(async () => g.set('open'));
    let deposedAt = 0;
    let electedAt = 0;
    a.onDeposed(() => (deposedAt = performance.now()));
    b.onElected(() => (electedAt = performance.now()));
    a.start();
    await eventually(() => a.isLeader(), 2000, 'h1 leads');
    b.start();
    g.set('fail');
    await eventually(() => b.isLeader(), leaseMs + renewMs + 1000, 'h2 takes over');
    expect(deposedAt).toBeGreaterThan(0);
    expect(deposedAt).toBeLessThan(electedAt);
    expect(a.isLeader()).toBe(false);
    g.set('open');
    // Back, h1 finds the lease taken and does not lead again.
    expect(await a.attempt()).toBe(false);
  });

  it('a leader whose answers hang steps down when its lease ends, whatever the hung query does later', async () => {
    const [dbA] = await twoHandles();
    const g = new DbGate();
    const a = lease(gate(dbA, g), 'h1');
    closers.push(async () => g.set('open'));
    const renewing = performance.now();
    expect(await a.attempt()).toBe(true);
    g.set('hang');
    const pending = a.attempt();
    await eventually(() => !a.isLeader(), leaseMs + 200, 'h1 steps down');
    // Not before the lease that the last renewal, counted from its start, bought.
    expect(performance.now() - renewing).toBeGreaterThanOrEqual(leaseMs - 5);
    // The answer comes after the lease it renewed has ended: it proves nothing about now.
    await new Promise((r) => setTimeout(r, 100));
    g.set('open');
    expect(await pending).toBe(false);
    expect(await a.attempt()).toBe(true);
  });
});
