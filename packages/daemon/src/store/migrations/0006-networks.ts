/** Networks, NICs and security groups. */
import type { Kysely } from 'kysely';

/** Creates the network tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('networks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('cidr', 'text')
    .addColumn('gateway', 'text')
    .addColumn('dhcp_start', 'text')
    .addColumn('dhcp_end', 'text')
    .addColumn('bridge', 'text', (c) => c.notNull())
    .addColumn('vlan', 'integer')
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('deleting', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('nics')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vm_id', 'text', (c) => c.notNull())
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addColumn('mac', 'text', (c) => c.notNull().unique())
    .addColumn('ip', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('security_groups', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('nics_vm').on('nics').column('vm_id').execute();
  // One address per network: two NICs can never be given the same one, whatever races.
  await db.schema.createIndex('nics_network_ip').on('nics').columns(['network_id', 'ip']).unique().execute();
  await db.schema
    .createTable('security_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('security_group_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('port_from', 'integer')
    .addColumn('port_to', 'integer')
    .addColumn('remote_cidr', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
