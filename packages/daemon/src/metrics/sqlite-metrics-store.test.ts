import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/open-database.js';
import type { Sample } from './metric-types.js';
import { ROLLUP_MS, SqliteMetricsStore } from './sqlite-metrics-store.js';

const t0 = Date.parse('2026-11-26T00:00:00Z');
const H = 3_600_000;
let dir: string;
let db: Db;
let now = t0;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-metrics-'));
  db = await openDatabase(join(dir, 'herd.db'));
  now = t0;
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const store = (o: { raw?: number; rollup?: number } = {}) =>
  new SqliteMetricsStore(db, { now: () => now, rawRetentionMs: o.raw ?? 6 * H, rollupRetentionMs: o.rollup ?? 14 * 24 * H });

/** One sample every 10 s from `from` for `count` samples, valued by `f(i)`. */
function series(metric: string, target: string, from: number, count: number, f: (i: number) => number): Sample[] {
  return Array.from({ length: count }, (_, i) => ({ metric, target, time: from + i * 10_000, value: f(i) }));
}

describe('the SQLite metrics store', () => {
  it('writes a batch and reads raw points back in order, per series', async () => {
    const s = store();
    await s.write([...series('vm_cpu_percent', 'a', t0, 6, (i) => i), ...series('vm_cpu_percent', 'b', t0, 6, () => 7)]);
    const pts = await s.query({ metric: 'vm_cpu_percent', target: 'a', from: t0, to: t0 + 50_000 });
    expect(pts).toEqual([0, 1, 2, 3, 4, 5].map((v) => ({ time: t0 + v * 10_000, value: v })));
    expect(await s.query({ metric: 'vm_cpu_percent', target: 'a', from: t0 + 15_000, to: t0 + 35_000 })).toHaveLength(2);
    expect(await s.query({ metric: 'vm_cpu_percent', target: 'nope', from: t0, to: t0 + H })).toEqual([]);
    expect(await s.series()).toEqual([
      { metric: 'vm_cpu_percent', target: 'a' },
      { metric: 'vm_cpu_percent', target: 'b' },
    ]);
  });

  it('averages raw points per step bucket, aligned to the step', async () => {
    const s = store();
    await s.write(series('m', 'x', t0, 6, (i) => i * 10)); // 0..50 at t0 .. t0+50s
    const pts = await s.query({ metric: 'm', target: 'x', from: t0, to: t0 + 59_999, stepMs: 20_000 });
    expect(pts).toEqual([
      { time: t0, value: 5 },
      { time: t0 + 20_000, value: 25 },
      { time: t0 + 40_000, value: 45 },
    ]);
  });

  it('keeps per-minute rollups current with every write, and reads them for steps of a minute or more', async () => {
    const s = store();
    // Two batches in the same minute, one in the next: rollups must merge across batches.
    await s.write(series('m', 'x', t0, 3, (i) => i)); // 0,1,2
    await s.write(series('m', 'x', t0 + 30_000, 3, (i) => 10 + i)); // 10,11,12
    await s.write(series('m', 'x', t0 + ROLLUP_MS, 6, () => 100));
    const rows = await db.selectFrom('metric_rollups').selectAll().orderBy('bucket').execute();
    expect(rows.map((r) => [r.bucket - t0, r.n, r.v_sum, r.v_min, r.v_max])).toEqual([
      [0, 6, 36, 0, 12],
      [ROLLUP_MS, 6, 600, 100, 100],
    ]);
    expect(await s.query({ metric: 'm', target: 'x', from: t0, to: t0 + 2 * ROLLUP_MS, stepMs: ROLLUP_MS })).toEqual([
      { time: t0, value: 6 },
      { time: t0 + ROLLUP_MS, value: 100 },
    ]);
    // A 2-minute step weights each minute by its count.
    expect(await s.query({ metric: 'm', target: 'x', from: t0, to: t0 + 2 * ROLLUP_MS, stepMs: 2 * ROLLUP_MS })).toEqual([{ time: t0, value: 53 }]);
  });

  it('sweeps raw points after their retention and rollups after theirs, and then the empty series', async () => {
    const s = store({ raw: H, rollup: 3 * H });
    await s.write(series('m', 'old', t0, 6, () => 1));
    await s.write(series('m', 'new', t0 + 2 * H, 6, () => 2));
    now = t0 + 2 * H + 60_000;
    expect(await s.sweep()).toEqual({ samples: 6, rollups: 0, series: 0 });
    // Raw points of 'old' are gone, but its range is still answered from the rollups.
    expect(await s.query({ metric: 'm', target: 'old', from: t0, to: t0 + 59_000 })).toEqual([{ time: t0, value: 1 }]);
    expect(await s.query({ metric: 'm', target: 'new', from: t0 + 2 * H, to: now })).toHaveLength(6);
    now = t0 + 4 * H;
    expect(await s.sweep()).toEqual({ samples: 6, rollups: 1, series: 1 });
    expect(await s.series()).toEqual([{ metric: 'm', target: 'new' }]);
    // A new sample of a swept series recreates it.
    await s.write([{ metric: 'm', target: 'old', time: now, value: 3 }]);
    expect(await s.query({ metric: 'm', target: 'old', from: now - 1000, to: now })).toEqual([{ time: now, value: 3 }]);
  });

  it('answers a raw query reaching past the raw retention with rollups for the older part', async () => {
    const s = store({ raw: H });
    await s.write(series('m', 'x', t0, 12, () => 4)); // two minutes, 2 h ago
    now = t0 + 2 * H;
    await s.write(series('m', 'x', now - 20_000, 3, () => 9));
    const pts = await s.query({ metric: 'm', target: 'x', from: t0, to: now });
    expect(pts).toEqual([
      { time: t0, value: 4 },
      { time: t0 + ROLLUP_MS, value: 4 },
      { time: now - 20_000, value: 9 },
      { time: now - 10_000, value: 9 },
      { time: now, value: 9 },
    ]);
  });

  it('tells listeners about every stored batch until they unsubscribe', async () => {
    const s = store();
    const seen: number[] = [];
    const off = s.onWrite((b) => seen.push(b.length));
    await s.write(series('m', 'x', t0, 3, () => 1));
    off();
    await s.write(series('m', 'x', t0 + 60_000, 2, () => 1));
    expect(seen).toEqual([3]);
  });

  it('stores a 100-VM round (1,200 samples) in one transaction quickly', async () => {
    const s = store();
    const batch: Sample[] = [];
    for (let vm = 0; vm < 100; vm++) for (let m = 0; m < 12; m++) batch.push({ metric: `metric_${m}`, target: `vm-${vm}`, time: t0, value: vm + m });
    await s.write(batch); // creates the series
    const start = performance.now();
    for (let r = 1; r <= 5; r++) await s.write(batch.map((x) => ({ ...x, time: t0 + r * 10_000 })));
    const perRound = (performance.now() - start) / 5;
    expect(await s.query({ metric: 'metric_3', target: 'vm-7', from: t0, to: t0 + H })).toHaveLength(6);
    // Not a benchmark, a guard against a per-row transaction: generous on a 2-core CI machine.
    expect(perRound).toBeLessThan(1000);
  });
});
