/** Storage: pools, volumes, snapshots and backups; VMs get a cdrom and a current snapshot. */
import type { Kysely } from 'kysely';

/** Creates the storage tables. Root disks of existing VMs become volumes at the next start (see StorageService.adoptRootDisks). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('pools')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('path', 'text')
    .addColumn('volume_group', 'text')
    .addColumn('thin_pool', 'text')
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('volumes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('pool_id', 'text', (c) => c.notNull().references('pools.id'))
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('vm_id', 'text')
    .addColumn('attach_order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('image_id', 'text')
    .addColumn('layer_id', 'text')
    .addColumn('encrypted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('volumes_vm').on('volumes').column('vm_id').execute();
  await db.schema
    .createTable('snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vm_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('with_memory', 'integer', (c) => c.notNull())
    .addColumn('vm_state', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('snapshots_vm_name', ['vm_id', 'name'])
    .execute();
  await db.schema
    .createTable('backups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vm_id', 'text', (c) => c.notNull())
    .addColumn('vm_name', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('vms').addColumn('cdrom_image_id', 'text').execute();
  await db.schema.alterTable('vms').addColumn('current_snapshot_id', 'text').execute();
  // A snapshot with memory to resume from at the next start (set by a revert).
  await db.schema.alterTable('vms').addColumn('resume_snapshot', 'text').execute();
}
