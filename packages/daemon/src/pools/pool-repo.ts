/** Pool records. */
import { HerdError } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { PoolRow } from '../store/schema.js';
import { isUuid } from '../util/uuid.js';

/** Reads and writes pool rows. One per daemon. */
export class PoolRepo {
  readonly #db: Db;
  readonly #events: EventLog;

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** The pool named or identified by `ref`; throws not_found. */
  async find(ref: string): Promise<PoolRow> {
    const q = this.#db.selectFrom('pools').selectAll();
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'pool', name: ref });
    return row;
  }

  /** The pool with this id; throws when it is missing (volumes always have one). */
  async get(id: string): Promise<PoolRow> {
    return this.#db.selectFrom('pools').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  /** All pools, by name. */
  async list(): Promise<PoolRow[]> {
    return this.#db.selectFrom('pools').selectAll().orderBy('name').execute();
  }

  /** Inserts a pool; a duplicate name is name_taken. */
  async insert(row: PoolRow): Promise<void> {
    try {
      await this.#db.insertInto('pools').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e, 'pools', 'name')) throw new HerdError('name_taken', { kind: 'pool', name: row.name, field: 'name' });
      throw e;
    }
    await this.#events.append({ type: 'pool.created', target: { type: 'pool', id: row.id, name: row.name }, message: `pool ${row.name} created (${row.type})` });
  }

  /** Removes a pool record. */
  async remove(row: PoolRow): Promise<void> {
    await this.#db.deleteFrom('pools').where('id', '=', row.id).execute();
    await this.#events.append({ type: 'pool.deleted', target: { type: 'pool', id: row.id, name: row.name }, message: `pool ${row.name} deleted` });
  }
}
