/**
 * Metrics: series (metric + target, named once), raw samples kept for hours, and per-minute
 * rollups kept for weeks. Both sample tables are keyed by (series, time) WITHOUT ROWID, so a
 * range query of one series and a retention sweep per series are both index range scans, and a
 * row costs its key and value only (no rowid, no separate index). PostgreSQL has no WITHOUT
 * ROWID: there the primary key is a separate btree beside the heap.
 */
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/** Creates the metric tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  await db.schema
    .createTable('metric_series')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addUniqueConstraint('metric_series_metric_target', ['metric', 'target'])
    .execute();
  if (postgres) {
    // Times and buckets are ms since the epoch: beyond PostgreSQL's 32-bit integer.
    await sql`CREATE TABLE metric_samples (
      series_id BIGINT NOT NULL,
      time BIGINT NOT NULL,
      value DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (series_id, time)
    )`.execute(db);
    await sql`CREATE TABLE metric_rollups (
      series_id BIGINT NOT NULL,
      bucket BIGINT NOT NULL,
      n INTEGER NOT NULL,
      v_sum DOUBLE PRECISION NOT NULL,
      v_min DOUBLE PRECISION NOT NULL,
      v_max DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (series_id, bucket)
    )`.execute(db);
    return;
  }
  await sql`CREATE TABLE metric_samples (
    series_id INTEGER NOT NULL,
    time INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (series_id, time)
  ) WITHOUT ROWID`.execute(db);
  await sql`CREATE TABLE metric_rollups (
    series_id INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    v_sum REAL NOT NULL,
    v_min REAL NOT NULL,
    v_max REAL NOT NULL,
    PRIMARY KEY (series_id, bucket)
  ) WITHOUT ROWID`.execute(db);
}

/** Drops the metric tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('metric_rollups').execute();
  await db.schema.dropTable('metric_samples').execute();
  await db.schema.dropTable('metric_series').execute();
}
