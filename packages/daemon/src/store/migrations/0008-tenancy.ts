/**
 * Tenancy: projects, users, their roles and tokens; VMs, volumes, networks, images, security
 * groups, backups, operations and events belong to a project. Everything made before belongs
 * to `default`.
 */
import { sql, type Kysely } from 'kysely';

// The id of the default project (tenancy/request-scope.ts holds the same constant).
const defaultProjectId = '00000000-0000-4000-8000-000000000001';

/** Creates the tenancy tables and gives owned resources a project. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('limits', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO projects (id, name, description, limits, created_at) VALUES (${defaultProjectId}, 'default', 'The default project', '{}', ${new Date().toISOString()})`.execute(db);
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('cluster_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('memberships')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['user_id', 'project_id'])
    .execute();
  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('tokens_user_name').on('tokens').columns(['user_id', 'name']).unique().execute();
  for (const table of ['vms', 'volumes', 'networks', 'images', 'security_groups', 'backups']) {
    await db.schema
      .alterTable(table)
      .addColumn('project_id', 'text', (c) => c.notNull().defaultTo(defaultProjectId))
      .execute();
    await db.schema.createIndex(`${table}_project`).on(table).column('project_id').execute();
  }
  // Operations and events of project resources carry the project; those of shared things
  // (pools, hosts, the installation) carry none and only cluster admins see them.
  for (const table of ['operations', 'events']) {
    await db.schema.alterTable(table).addColumn('project_id', 'text').execute();
    await sql`UPDATE ${sql.table(table)} SET project_id = ${defaultProjectId}`.execute(db);
  }
  await db.schema.createIndex('events_project').on('events').columns(['project_id', 'seq']).execute();
}
