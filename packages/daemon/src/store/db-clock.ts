/** The clock hosts of a cluster agree on. */
import { sql, type Kysely } from 'kysely';
import { dialectOf } from './dialect.js';

/**
 * Now, by the database's clock: PostgreSQL's `clock_timestamp()` (the real time, not the start
 * of the transaction), so that hosts with skewed clocks compare leases and heartbeats alike.
 * A SQLite database has one host, whose clock it is. Any time.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any table types: the clock touches no table
export async function dbNow(db: Kysely<any>): Promise<Date> {
  if (dialectOf(db) !== 'postgres') return new Date();
  const { rows } = await sql<{ now: Date }>`SELECT clock_timestamp() AS now`.execute(db);
  const now = rows[0]?.now;
  if (!(now instanceof Date)) throw new Error('the database did not answer clock_timestamp() with a time');
  return now;
}
