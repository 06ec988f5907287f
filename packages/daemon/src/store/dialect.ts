/**
 * Which database engine a handle talks to. herd writes one set of queries for both; the few
 * statements that differ (DDL of migrations, a JSON path, advisory locks, the clock) branch on
 * this.
 */
import { PostgresAdapter, type Kysely } from 'kysely';

/** The engines herd runs on: its own SQLite file, or a PostgreSQL shared by a cluster. */
export type DialectName = 'sqlite' | 'postgres';

/**
 * The engine behind `db`. Works on any handle, transactions and the `Kysely<unknown>` that
 * migrations get included: it asks the handle's adapter, which they all share.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any table types: migrations hold Kysely<unknown>, repositories Kysely<Database>
export function dialectOf(db: Kysely<any>): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
