/** The first schema: VMs, images, operations, events. */
import type { Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/** Creates the initial tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  await db.schema
    .createTable('images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('disk_path', 'text', (c) => c.notNull())
    .addColumn('kernel_path', 'text')
    .addColumn('initrd_path', 'text')
    .addColumn('kernel_cmdline', 'text')
    .addColumn('min_memory_mib', 'integer')
    .addColumn('virtual_size', 'bigint', (c) => c.notNull())
    .addColumn('actual_size', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('vms')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('cpus', 'integer', (c) => c.notNull())
    .addColumn('memory_mib', 'integer', (c) => c.notNull())
    .addColumn('disk_bytes', 'bigint', (c) => c.notNull())
    .addColumn('image_id', 'text', (c) => c.notNull().references('images.id'))
    .addColumn('kernel_cmdline', 'text')
    .addColumn('accel_pref', 'text', (c) => c.notNull())
    .addColumn('desired_state', 'text', (c) => c.notNull())
    .addColumn('deleting', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stop_timeout_s', 'integer', (c) => c.notNull().defaultTo(60))
    .addColumn('restart_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('boot_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('accel', 'text')
    .addColumn('pid', 'integer')
    .addColumn('reason', 'text')
    .addColumn('last_error', 'text')
    .addColumn('started_at', 'text')
    .addColumn('stop_deadline', 'text')
    .addColumn('state_changed_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('operations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('target_name', 'text', (c) => c.notNull())
    .addColumn('progress', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('operations_created').on('operations').column('created_at').execute();
  await db.schema
    .createTable('events')
    // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT, a rowid never reused; PostgreSQL: a bigint sequence.
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('target_name', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
}
