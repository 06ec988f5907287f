/**
 * Secrets every host of a cluster must hold alike (`cluster_secrets`): the first host to start
 * makes each one, every later host adopts it. Making one races when hosts start together, so
 * each host offers its own with INSERT … ON CONFLICT DO NOTHING and then uses whatever the
 * table holds, its own or the winner's.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/open-database.js';

/** The secret rows, by name. */
export const clusterSecretNames = { forwardKey: 'forward.key', caCert: 'ca.crt', caKey: 'ca.key' } as const;

/**
 * The values of secrets `names` as the cluster holds them: those the table lacks are offered
 * from `make()` (called only then), all in one transaction so that a set (a CA's certificate
 * and key) is never mixed from two hosts' offers. Idempotent; safe to call on many hosts at once.
 */
export async function ensureClusterSecrets<N extends string>(db: Db, names: readonly N[], make: () => Promise<Record<N, string>>): Promise<Record<N, string>> {
  const found = await readSecrets(db, names);
  if (found) return found;
  const offer = await make();
  await db.transaction().execute(async (trx) => {
    for (const name of names)
      await trx.insertInto('cluster_secrets').values({ name, value: offer[name] }).onConflict((oc) => oc.column('name').doNothing()).execute();
  });
  const held = await readSecrets(db, names);
  if (!held) throw new Error(`the database holds only some of the cluster secrets ${names.join(', ')}; remove those rows of cluster_secrets and start herd again`);
  return held;
}

/** The cluster's forward key (32 random bytes), made by the first host that asks. */
export async function ensureForwardKey(db: Db): Promise<Buffer> {
  const name = clusterSecretNames.forwardKey;
  const { [name]: value } = await ensureClusterSecrets(db, [name], async () => ({ [name]: randomBytes(32).toString('base64') }));
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error(`cluster secret ${name} is not 32 bytes in base64; remove its row of cluster_secrets so that herd makes a new one`);
  return key;
}

async function readSecrets<N extends string>(db: Db, names: readonly N[]): Promise<Record<N, string> | undefined> {
  const rows = await db.selectFrom('cluster_secrets').select(['name', 'value']).where('name', 'in', names).execute();
  const byName = new Map(rows.map((r) => [r.name, r.value]));
  if (!names.every((n) => byName.has(n))) return undefined;
  return Object.fromEntries(names.map((n) => [n, byName.get(n)!])) as Record<N, string>;
}
