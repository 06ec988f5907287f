/**
 * Critical sections that span hosts. A read-then-write in a transaction (count, then insert
 * under a quota; read the chain's last hash, then append) is only safe when no other
 * transaction runs the same section in between.
 */
import { sql, type Transaction } from 'kysely';
import { dialectOf } from './dialect.js';

/**
 * Makes the rest of transaction `trx` the only holder of `key` (e.g. `quota:<projectId>`,
 * `audit`) until it commits or rolls back. Call first in the transaction, before the reads the
 * section depends on.
 *
 * PostgreSQL: a transaction-scoped advisory lock on the key's hash, so the section is serial
 * across every host on the database (two keys that hash alike merely wait for each other).
 * SQLite: nothing to do. Kysely's SQLite driver has one connection behind a mutex, and a
 * transaction holds it from BEGIN to COMMIT (`SqliteDriver.acquireConnection`, kysely 0.28), so
 * a handle runs one transaction at a time and no other statement in between; herd opens one
 * handle per data directory.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any table types: the lock touches no table
export async function lockKey(trx: Transaction<any>, key: string): Promise<void> {
  if (dialectOf(trx) !== 'postgres') return;
  await sql`SELECT pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}
