/**
 * Confinement: each VM's QEMU runs as a user of its own. `vms.run_uid` is that uid (and gid),
 * allocated at the VM's first start by a root daemon; `run_uids.issued` counts the uids ever
 * handed out, so that a uid is never given again, not even after its VM was deleted.
 */
import { sql, type Kysely } from 'kysely';

/** Adds `vms.run_uid` (unique) and the one-row counter `run_uids`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // bigint: uids run to 2^32 - 1, past PostgreSQL's 32-bit integer.
  await db.schema.alterTable('vms').addColumn('run_uid', 'bigint').execute();
  // NULLs are distinct in a unique index (SQLite and PostgreSQL alike): VMs without a uid yet do not collide.
  await db.schema.createIndex('vms_run_uid').on('vms').column('run_uid').unique().execute();
  await db.schema
    .createTable('run_uids')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('issued', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO run_uids (id, issued) VALUES (1, 0)`.execute(db);
}
