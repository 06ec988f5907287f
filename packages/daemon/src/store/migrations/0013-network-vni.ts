/** vxlan networks: each has a VXLAN network identifier, which no two networks share. */
import type { Kysely } from 'kysely';

/** Adds `networks.vni`, unique where set. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('networks').addColumn('vni', 'integer').execute();
  // Both SQLite and PostgreSQL let any number of rows have NULL in a unique column.
  await db.schema.createIndex('networks_vni').on('networks').column('vni').unique().execute();
}
