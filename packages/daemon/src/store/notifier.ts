/**
 * Wake-ups between the hosts of a cluster: a host that changed something says so on a channel,
 * and every host listening on it (itself included) hears the payload. A notification only says
 * "look again"; the state is in the database, and a listener that may have missed some (see
 * `onReconnect`) reads it afresh.
 */
import type { Db } from './open-database.js';
import { loadPg, postgresUrlOf } from './open-database.js';
import { dialectOf } from './dialect.js';
import { LocalNotifier } from './local-notifier.js';

/** Sends and hears notifications on named channels. One per daemon, closed before its database. */
export interface Notifier {
  /** Tells every listener of `channel` on every host (this one too) `payload`, soon and in the order sent. */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Calls `fn` with the payload of each notification on `channel` until the returned function
   * is called. Notifications sent while this host could not hear them are lost: `onReconnect`
   * is called once it hears again, so that the caller reads what it missed. Any time.
   */
  listen(channel: string, fn: (payload: string) => void, onReconnect?: () => void): () => void;
  /**
   * Resolves once every channel listened to so far is heard, so that what is read from the
   * database afterwards misses no later notification. Waits through reconnects; resolves at close.
   */
  listening(): Promise<void>;
  /** Stops hearing and sending. Idempotent. */
  close(): Promise<void>;
}

/**
 * The notifier for `db`: PostgreSQL's LISTEN/NOTIFY on a connection of its own, reaching every
 * host of the cluster (it connects when first listened on); on SQLite (one host) an
 * in-process emitter. `db` must come from openDatabase.
 */
export async function openNotifier(db: Db): Promise<Notifier> {
  if (dialectOf(db) === 'sqlite') return new LocalNotifier();
  const url = postgresUrlOf(db);
  if (url === undefined) throw new Error('a PostgreSQL notifier needs a database opened with openDatabase (to know its URL)');
  // Loaded in cluster mode only, like the driver it uses.
  await loadPg();
  const { PostgresNotifier } = await import('./postgres-notifier.js');
  return new PostgresNotifier(db, url);
}
