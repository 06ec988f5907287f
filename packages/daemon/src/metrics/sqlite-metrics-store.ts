/**
 * The time-series store, in herd's own database (SQLite here; the same Kysely queries run on
 * PostgreSQL in cluster mode).
 *
 * Why the database and not an embedded TSDB (Prometheus TSDB, VictoriaMetrics, a Gorilla-style
 * file format): herd's volumes are small (100 VMs x ~12 series, one point per 10 s is ~120
 * points/s), the queries are "one series over a range, bucketed", and an index on
 * (series, time) answers them in milliseconds. The database is already open, transactional,
 * backed up with the rest of herd's state, and needs no second storage engine, file format,
 * compaction or process to operate. What a TSDB would buy is compression (~1.4 bytes a point
 * against the 24 bytes of a raw point and 46 of a rollup row measured here) and cheap
 * high-cardinality scans. At 100 VMs (~1,100 series) that is ~57 MB of raw points (6 h) and
 * ~1 GB of minute rollups (14 d): acceptable on a VM host, and the first thing to shrink when it
 * is not (an hourly tier for the older days would make the rollups ~20 MB). Anyone who needs
 * more history or cardinality scrapes `/metrics` into Prometheus.
 *
 * Layout (migration 0002): `metric_series` names each (metric, target) once; `metric_samples`
 * holds raw points keyed by (series, time) and `metric_rollups` per-minute count/sum/min/max
 * keyed by (series, minute), both WITHOUT ROWID so the key is the index. A batch is written in
 * one transaction, and its rollups are upserted in the same statement batch, so rollups are
 * always current (no background job to lag or lose). Retention sweeps delete by (series, time)
 * ranges, index range scans. Raw points are kept for hours (default 6 h), rollups for weeks
 * (default 14 d). A query with a step of a minute or more reads rollups; a finer one reads raw
 * points, and the part of its range older than the raw retention comes from rollups.
 */
import { sql } from 'kysely';
import type { Db } from '../store/open-database.js';
import type { MetricsStore, Point, Sample, SeriesQuery } from './metric-types.js';

/** Options of {@link SqliteMetricsStore}. */
export interface SqliteMetricsStoreOptions {
  /** How long raw points are kept. Default 6 h. */
  readonly rawRetentionMs?: number;
  /** How long per-minute rollups are kept. Default 14 days. */
  readonly rollupRetentionMs?: number;
  /** The clock (tests). Default Date.now. */
  readonly now?: () => number;
}

/** The width of a rollup bucket. */
export const ROLLUP_MS = 60_000;
const CHUNK = 300;

/** MetricsStore on herd's database. One per daemon; {@link startSweeping} once, {@link close} at the end. */
export class SqliteMetricsStore implements MetricsStore {
  readonly #db: Db;
  readonly #rawRetentionMs: number;
  readonly #rollupRetentionMs: number;
  readonly #now: () => number;
  readonly #ids = new Map<string, number>();
  readonly #listeners = new Set<(samples: readonly Sample[]) => void>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #loaded = false;

  constructor(db: Db, options: SqliteMetricsStoreOptions = {}) {
    this.#db = db;
    this.#rawRetentionMs = options.rawRetentionMs ?? 6 * 3600_000;
    this.#rollupRetentionMs = options.rollupRetentionMs ?? 14 * 86400_000;
    this.#now = options.now ?? Date.now;
  }

  /** How long raw points are kept, in ms. */
  get rawRetentionMs(): number {
    return this.#rawRetentionMs;
  }

  /** Records one batch in one transaction, then tells the listeners. */
  async write(samples: readonly Sample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      const ids = await this.#ensureSeries(trx, samples);
      const raw = samples.map((s, i) => ({ series_id: ids[i]!, time: Math.round(s.time), value: s.value }));
      // One row per key (the last value wins, as the upsert would have it), in key order:
      // PostgreSQL refuses a statement that upserts one row twice, and batches that lock rows in
      // one order cannot deadlock with another host's.
      const points = [...new Map(raw.map((r) => [`${r.series_id}:${r.time}`, r])).values()].sort((a, b) => a.series_id - b.series_id || a.time - b.time);
      for (let i = 0; i < points.length; i += CHUNK)
        await trx
          .insertInto('metric_samples')
          .values(points.slice(i, i + CHUNK))
          .onConflict((oc) => oc.columns(['series_id', 'time']).doUpdateSet({ value: sql`excluded.value` }))
          .execute();
      const rollups = rollupRows(raw).sort((a, b) => a.series_id - b.series_id || a.bucket - b.bucket);
      for (let i = 0; i < rollups.length; i += CHUNK)
        await trx
          .insertInto('metric_rollups')
          .values(rollups.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.columns(['series_id', 'bucket']).doUpdateSet({
              n: sql`metric_rollups.n + excluded.n`,
              v_sum: sql`metric_rollups.v_sum + excluded.v_sum`,
              // CASE, not two-argument min()/max(): SQLite has those, PostgreSQL least()/greatest().
              v_min: sql`CASE WHEN excluded.v_min < metric_rollups.v_min THEN excluded.v_min ELSE metric_rollups.v_min END`,
              v_max: sql`CASE WHEN excluded.v_max > metric_rollups.v_max THEN excluded.v_max ELSE metric_rollups.v_max END`,
            }),
          )
          .execute();
    });
    for (const listener of this.#listeners) {
      try {
        listener(samples);
      } catch {
        // A listener's failure is its own; the batch is stored.
      }
    }
  }

  /** Points of one series in [from, to], oldest first; averaged per `stepMs` bucket when given. */
  async query(q: SeriesQuery): Promise<Point[]> {
    const id = await this.#seriesId(q.metric, q.target);
    // Times are whole ms, so bounds rounded inward select the same points; PostgreSQL compares
    // its bigint times with whole numbers only.
    q = { ...q, from: Math.ceil(q.from), to: Math.floor(q.to) };
    if (id === undefined || q.to < q.from) return [];
    const step = q.stepMs !== undefined && q.stepMs > 0 ? Math.round(q.stepMs) : undefined;
    if (step !== undefined && step >= ROLLUP_MS) return this.#rollups(id, q.from, q.to, step);
    const rawFrom = this.#now() - this.#rawRetentionMs;
    const older = q.from < rawFrom ? await this.#rollups(id, q.from, Math.min(q.to, rawFrom - 1), ROLLUP_MS) : [];
    const recent = q.to >= rawFrom ? await this.#raw(id, Math.max(q.from, rawFrom), q.to, step) : [];
    return [...older, ...recent];
  }

  /** The series that have points. */
  async series(): Promise<{ metric: string; target: string }[]> {
    return this.#db.selectFrom('metric_series').select(['metric', 'target']).orderBy('metric').orderBy('target').execute();
  }

  /** Calls `listener` after every batch is stored, until the returned function is called. */
  onWrite(listener: (samples: readonly Sample[]) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * Deletes raw points older than the raw retention, rollups older than the rollup retention,
   * and series left without either. Returns how many rows went. Safe to run at any time.
   */
  async sweep(): Promise<{ samples: number; rollups: number; series: number }> {
    const now = this.#now();
    const ids = (await this.#db.selectFrom('metric_series').select('id').execute()).map((r) => r.id);
    let samples = 0;
    let rollups = 0;
    // Per series, so each delete is a range scan of the (series_id, time) key, not a table scan.
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const r1 = await this.#db.deleteFrom('metric_samples').where('series_id', 'in', chunk).where('time', '<', now - this.#rawRetentionMs).executeTakeFirst();
      const r2 = await this.#db.deleteFrom('metric_rollups').where('series_id', 'in', chunk).where('bucket', '<', now - this.#rollupRetentionMs).executeTakeFirst();
      samples += Number(r1.numDeletedRows);
      rollups += Number(r2.numDeletedRows);
    }
    const r3 = await this.#db
      .deleteFrom('metric_series')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('metric_rollups').select('series_id').whereRef('metric_rollups.series_id', '=', 'metric_series.id'))),
      )
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('metric_samples').select('series_id').whereRef('metric_samples.series_id', '=', 'metric_series.id'))),
      )
      .executeTakeFirst();
    const series = Number(r3.numDeletedRows);
    if (series > 0) {
      this.#ids.clear();
      this.#loaded = false;
    }
    return { samples, rollups, series };
  }

  /** Sweeps every `intervalMs` (default 5 min) until {@link close}. Call once. */
  startSweeping(intervalMs = 5 * 60_000, onError?: (e: unknown) => void): void {
    this.#sweepTimer = setInterval(() => void this.sweep().catch((e: unknown) => onError?.(e)), intervalMs);
    this.#sweepTimer.unref();
  }

  /** Stops sweeping. The database stays open (its owner closes it). */
  close(): void {
    clearInterval(this.#sweepTimer);
  }

  async #raw(id: number, from: number, to: number, step: number | undefined): Promise<Point[]> {
    if (step === undefined)
      return this.#db
        .selectFrom('metric_samples')
        .select(['time', 'value'])
        .where('series_id', '=', id)
        .where('time', '>=', from)
        .where('time', '<=', to)
        .orderBy('time')
        .execute();
    const rows = await sql<Point>`SELECT (time / CAST(${step} AS BIGINT)) * ${step} AS time, avg(value) AS value FROM metric_samples
      WHERE series_id = ${id} AND time >= ${from} AND time <= ${to} GROUP BY 1 ORDER BY 1`.execute(this.#db);
    return rows.rows;
  }

  async #rollups(id: number, from: number, to: number, step: number): Promise<Point[]> {
    if (to < from) return [];
    // A rollup bucket belongs to the range when its minute overlaps it.
    const rows = await sql<Point>`SELECT (bucket / CAST(${step} AS BIGINT)) * ${step} AS time, sum(v_sum) / sum(n) AS value FROM metric_rollups
      WHERE series_id = ${id} AND bucket >= ${Math.floor(from / ROLLUP_MS) * ROLLUP_MS} AND bucket <= ${to} GROUP BY 1 ORDER BY 1`.execute(this.#db);
    return rows.rows;
  }

  async #seriesId(metric: string, target: string): Promise<number | undefined> {
    await this.#load(this.#db);
    return this.#ids.get(key(metric, target));
  }

  async #load(db: Db): Promise<void> {
    if (this.#loaded) return;
    for (const r of await db.selectFrom('metric_series').selectAll().execute()) this.#ids.set(key(r.metric, r.target), r.id);
    this.#loaded = true;
  }

  /** The series id of every sample, creating series that are new. */
  async #ensureSeries(trx: Db, samples: readonly Sample[]): Promise<number[]> {
    await this.#load(trx);
    const missing = new Map<string, { metric: string; target: string }>();
    for (const s of samples) if (!this.#ids.has(key(s.metric, s.target))) missing.set(key(s.metric, s.target), { metric: s.metric, target: s.target });
    if (missing.size > 0) {
      const rows = [...missing.values()];
      for (let i = 0; i < rows.length; i += CHUNK)
        await trx.insertInto('metric_series').values(rows.slice(i, i + CHUNK)).onConflict((oc) => oc.doNothing()).execute();
      this.#loaded = false;
      this.#ids.clear();
      await this.#load(trx);
    }
    return samples.map((s) => this.#ids.get(key(s.metric, s.target))!);
  }
}

function key(metric: string, target: string): string {
  return `${metric}\u0000${target}`;
}

/** Folds raw points into per-minute count/sum/min/max rows, one per (series, minute). Pure. */
export function rollupRows(raw: readonly { series_id: number; time: number; value: number }[]) {
  const byKey = new Map<string, { series_id: number; bucket: number; n: number; v_sum: number; v_min: number; v_max: number }>();
  for (const r of raw) {
    const bucket = Math.floor(r.time / ROLLUP_MS) * ROLLUP_MS;
    const k = `${r.series_id}:${bucket}`;
    const row = byKey.get(k);
    if (row) {
      row.n++;
      row.v_sum += r.value;
      row.v_min = Math.min(row.v_min, r.value);
      row.v_max = Math.max(row.v_max, r.value);
    } else byKey.set(k, { series_id: r.series_id, bucket, n: 1, v_sum: r.value, v_min: r.value, v_max: r.value });
  }
  return [...byKey.values()];
}
