/**
 * What `herd host show` tells about any host of a cluster, not only the one answering: why it
 * uses its accelerator (and what was asked for), whether KVM is usable there, and its data
 * directory. Each host writes its own at registration.
 */
import type { Kysely } from 'kysely';

/** Adds the accelerator details and the data directory to `hosts`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('hosts').addColumn('accel_preference', 'text', (c) => c.notNull().defaultTo('auto')).execute();
  await db.schema.alterTable('hosts').addColumn('accel_reason', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('hosts').addColumn('kvm_usable', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('hosts').addColumn('data_dir', 'text', (c) => c.notNull().defaultTo('')).execute();
}
