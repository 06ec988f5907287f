/** Network records. */
import { HerdError } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { NetworkRow, NetworksTable } from '../store/schema.js';
import { isUuid } from '../util/uuid.js';
import { owningProjectId } from '../tenancy/request-scope.js';
import { insertWithinQuota } from '../tenancy/quota.js';
import { whereVisible } from '../tenancy/visibility.js';

/** Reads and writes network rows. One per daemon. */
export class NetworkRepo {
  readonly #db: Db;
  readonly #events: EventLog;

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** The network named or identified by `ref`; throws not_found. */
  async find(ref: string): Promise<NetworkRow> {
    const q = whereVisible(this.#db.selectFrom('networks').selectAll(), true);
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'network', name: ref });
    return row;
  }

  /** The network with this id, or undefined. */
  async get(id: string): Promise<NetworkRow | undefined> {
    return this.#db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** All networks, by name. */
  async list(): Promise<NetworkRow[]> {
    return this.#db.selectFrom('networks').selectAll().orderBy('name').execute();
  }

  /** The networks the request's project sees (its own and the default project's), by name. */
  async listVisible(): Promise<NetworkRow[]> {
    return whereVisible(this.#db.selectFrom('networks').selectAll(), true).orderBy('name').execute();
  }

  /** Inserts a network; a duplicate name is name_taken, a VNI in use address_conflict. */
  async insert(row: NetworkRow): Promise<void> {
    try {
      const project = owningProjectId();
      await insertWithinQuota(this.#db, project, { networks: 1 }, (trx) => trx.insertInto('networks').values({ ...row, project_id: project }).execute().then(() => undefined));
    } catch (e) {
      if (isUniqueViolation(e, 'networks', 'name')) throw new HerdError('name_taken', { kind: 'network', name: row.name, field: 'name' });
      if (isUniqueViolation(e, 'networks', 'vni')) throw new HerdError('address_conflict', { reason: `VNI ${row.vni} is already used by another network; choose another or leave vni out`, field: 'vni' });
      throw e;
    }
    await this.note(row, 'network.created', `network ${row.name} created (${row.type}${row.cidr ? ` ${row.cidr}` : ''}${row.vni !== null ? ` VNI ${row.vni}` : ''})`);
  }

  /** Changes fields of a network. */
  async update(id: string, patch: Partial<Omit<NetworksTable, 'id' | 'created_at'>>): Promise<void> {
    await this.#db.updateTable('networks').set(patch).where('id', '=', id).execute();
  }

  /** Records something that happened to a network. */
  async note(row: Pick<NetworkRow, 'id' | 'name'>, type: string, message: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.#events.append({ type, target: { type: 'network', id: row.id, name: row.name }, message, data });
  }

  /** Removes a network record. */
  async remove(row: NetworkRow): Promise<void> {
    await this.#db.deleteFrom('networks').where('id', '=', row.id).execute();
    await this.note(row, 'network.deleted', `network ${row.name} deleted`);
  }
}
