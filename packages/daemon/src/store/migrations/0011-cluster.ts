/**
 * Cluster mode: the hosts that run herd against one database, the leases through which one of
 * them leads, and what the scheduler and the HA loop need to know about a VM.
 *
 * `hosts` holds one row per host (a single-host installation has one, itself). A host renews
 * its lease with every heartbeat; `lease_expires_at` is written from the database's clock, so
 * that hosts with skewed clocks agree on who is late. `leases` holds named leases (`leader`);
 * `term` grows each time a lease changes hands, so a former holder's late writes can be told
 * apart.
 */
import type { Kysely } from 'kysely';

/** Adds `hosts`, `leases`, `cluster_secrets` and the VM's placement, priority, HA flag and migration target. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('hosts')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('address', 'text')
    .addColumn('cpus', 'integer', (c) => c.notNull())
    .addColumn('memory_mib', 'bigint', (c) => c.notNull())
    .addColumn('disk_gib', 'bigint', (c) => c.notNull())
    .addColumn('accel', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('pools', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('networks', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('overcommit', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('mode', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('online'))
    .addColumn('load_cpu', 'double precision')
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .addColumn('lease_expires_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('herd_version', 'text', (c) => c.notNull())
    .addColumn('qemu_version', 'text', (c) => c.notNull())
    .addColumn('kernel', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('term', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  // Secrets every host needs alike: the cluster's CA (certificate and key) and the key hosts
  // sign forwarded requests with. Whoever can read the database is trusted with the cluster anyway.
  await db.schema
    .createTable('cluster_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('vms').addColumn('placement', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema.alterTable('vms').addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('vms').addColumn('ha', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('vms').addColumn('migrating_to', 'text').execute();
  await db.schema.createIndex('vms_host').on('vms').column('host').execute();
}
