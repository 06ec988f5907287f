/** VMs get a display: `none` (serial console only, as before) or `vnc`. */
import type { Kysely } from 'kysely';

/** Adds `vms.display`; existing VMs keep no display. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('vms')
    .addColumn('display', 'text', (c) => c.notNull().defaultTo('none'))
    .execute();
}
