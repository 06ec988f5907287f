// The host heartbeat against a database that fails or hangs: self-fencing before the lease
// runs out, recovery, and registering again after the leader fenced or an admin removed it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/open-database.js';
import { sharedPostgres, stopSharedPostgres } from '../store/testing/postgres.js';
import { monotonicMs } from './fence-deadline.js';
import { HostHeartbeat, type HeartbeatOptions } from './heartbeat.js';
import { HostRepo } from './host-repo.js';
import { DbGate, gate } from './testing/db-gate.js';
import { registration } from './testing/registration.js';

let dir: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'herd-heartbeat-'));
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await stopSharedPostgres();
  rmSync(dir, { recursive: true, force: true });
});

async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const fast = { heartbeatMs: 50, leaseMs: 500, fenceMarginMs: 150 } as const;

describe.each(['sqlite', 'postgres'] as const)('the heartbeat on %s', (dialect) => {
  async function open(): Promise<Db> {
    const target = dialect === 'sqlite' ? join(dir, `${randomUUID()}.db`) : await (await sharedPostgres()).createDatabase();
    const db = await openDatabase(target);
    closers.push(() => db.destroy());
    return db;
  }

  /** A heartbeat of host h1 whose database `g` can cut off, and the leader's ungated view of the table. */
  async function host(options: HeartbeatOptions = fast): Promise<{ hb: HostHeartbeat; g: DbGate; repo: HostRepo; db: Db }> {
    const db = await open();
    const g = new DbGate();
    const mine = new HostRepo(gate(db, g));
    const hb = new HostHeartbeat(mine, registration('h1'), async () => ({ ...registration('h1'), loadCpu: 0.75 }), options);
    closers.push(() => hb.stop(), async () => g.set('open'));
    return { hb, g, repo: new HostRepo(db), db };
  }

  it('renews the lease with fresh facts, fences itself once before the lease runs out when renewals fail, and recovers', async () => {
    const { hb, g, repo } = await host();
    const renewals: number[] = [];
    const fences: { at: number; reason: string; dbLeaseLeftMs: Promise<number> }[] = [];
    let recovered = 0;
    hb.onRenewed((started) => renewals.push(started));
    hb.onFence((reason) => fences.push({ at: monotonicMs(), reason, dbLeaseLeftMs: repo.get('h1').then(async (h) => Date.parse(h.leaseExpiresAt) - (await repo.now()).getTime()) }));
    hb.onRecovered(() => recovered++);
    await hb.start();
    const first = await repo.get('h1');
    await eventually(() => renewals.length >= 3, 2000, 'three renewals');
    const later = await repo.get('h1');
    expect(later.leaseExpiresAt > first.leaseExpiresAt).toBe(true);
    expect(later.loadCpu).toBe(0.75);
    expect(hb.fenced).toBe(false);

    g.set('fail');
    await eventually(() => fences.length > 0, 2000, 'the host fences itself');
    const lastGood = renewals.at(-1)!;
    const fence = fences[0]!;
    // Counted from the start of the last renewal that succeeded...
    expect(fence.at - lastGood).toBeGreaterThanOrEqual(fast.leaseMs - fast.fenceMarginMs - 1);
    expect(fence.at - lastGood).toBeLessThan(fast.leaseMs - fast.fenceMarginMs + 100);
    expect(fence.reason).toMatch(/no lease renewal succeeded for \d+ ms.*connection to the database lost/);
    expect(hb.fenced).toBe(true);
    // ...and before the lease ran out by the database's clock: the leader cannot have acted yet.
    expect(await fence.dbLeaseLeftMs).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(fences).toHaveLength(1);
    expect(recovered).toBe(0);

    g.set('open');
    await eventually(() => recovered === 1, 1000, 'the host recovers');
    expect(hb.fenced).toBe(false);
    expect((await repo.get('h1')).status).toBe('online');
    // A subscriber that comes while nothing is wrong hears nothing.
    let lateFence = false;
    hb.onFence(() => (lateFence = true));
    expect(lateFence).toBe(false);
  });

  it('fences on time while a renewal hangs, and a subscriber that comes late hears of it at once', async () => {
    const { hb, g } = await host();
    let fencedAt = 0;
    let lastGood = 0;
    hb.onRenewed((started) => (lastGood = started));
    await hb.start();
    g.set('hang');
    hb.onFence(() => (fencedAt = monotonicMs()));
    await eventually(() => fencedAt > 0, 2000, 'the host fences itself');
    expect(fencedAt - lastGood).toBeLessThan(fast.leaseMs - fast.fenceMarginMs + 100);
    let late = '';
    hb.onFence((reason) => (late = reason));
    expect(late).toMatch(/no lease renewal succeeded/);
    let recovered = false;
    hb.onRecovered(() => (recovered = true));
    g.set('open');
    await eventually(() => recovered, 1000, 'the host recovers');
  });

  it('registers again after the leader fenced it or an admin removed it, but leaves a newer registration alone', async () => {
    // Renewals by hand: a long period keeps the timer out of the way.
    const { hb, repo, db } = await host({ heartbeatMs: 60_000, leaseMs: 120_000, fenceMarginMs: 1000 });
    await hb.start();
    expect(await hb.beat()).toBe(true);

    // The leader saw its lease run out and fenced it.
    const past = new Date(Date.now() - 1000).toISOString();
    await db.updateTable('hosts').set({ lease_expires_at: past }).where('name', '=', 'h1').execute();
    expect(await repo.markOffline('h1', past)).toBe(true);
    expect(await hb.beat()).toBe(true);
    expect(await repo.get('h1')).toMatchObject({ status: 'online', startedAt: hb.startedAt });

    // Removed while it was away.
    await db.deleteFrom('hosts').where('name', '=', 'h1').execute();
    expect(await hb.beat()).toBe(true);
    expect((await repo.get('h1')).startedAt).toBe(hb.startedAt);

    // Another process registered under the same name: that one owns the row now.
    await repo.register(registration('h1'), { startedAt: '2099-01-01T00:00:00.000Z', leaseMs: 10_000 });
    expect(await hb.beat()).toBe(false);
    expect((await repo.get('h1')).startedAt).toBe('2099-01-01T00:00:00.000Z');
  });
});
