/**
 * The append-only event log: every change is a row in `events` and is pushed to live
 * subscribers (the SSE stream, operation trackers). The audit trail and the event stream are
 * the same records.
 */
import type { HerdEvent } from '@herd/api';
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../store/open-database.js';
import type { Database, EventRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { scopedProjectId } from '../tenancy/request-scope.js';
import { whereVisible } from '../tenancy/visibility.js';

/** What a new event says. */
export interface EventInput {
  readonly type: string;
  readonly target: { readonly type: string; readonly id: string | null; readonly name: string };
  readonly message: string;
  readonly data?: Record<string, unknown>;
}

/** Gets each new event with the project it belongs to (null: shared things, seen by cluster admins only). */
type Listener = (e: HerdEvent, projectId: string | null) => void;

// The project of an event's target, when the event is not recorded inside a request's scope.
const ownerTables: Readonly<Record<string, 'vms' | 'images' | 'volumes' | 'networks' | 'security_groups' | 'operations'>> = {
  vm: 'vms',
  image: 'images',
  volume: 'volumes',
  network: 'networks',
  secgroup: 'security_groups',
  operation: 'operations',
};

/** Appends events and fans them out. Create once per daemon. */
export class EventLog {
  readonly #db: Db;
  readonly #listeners = new Set<Listener>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** Records an event and delivers it to subscribers; returns it with its seq. */
  async append(input: EventInput): Promise<HerdEvent> {
    const row = await this.#db
      .insertInto('events')
      .values({
        time: nowIso(),
        type: input.type,
        target_type: input.target.type,
        target_id: input.target.id,
        target_name: input.target.name,
        message: input.message,
        data: JSON.stringify(input.data ?? {}),
        project_id: scopedProjectId() ?? this.#ownerOf(input.target),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const event = toApiEvent(row);
    for (const l of this.#listeners) l(event, row.project_id ?? null);
    return event;
  }

  /** Events after `since` (oldest first), at most `limit`; with `vmId`, only that VM's (as `isEventOfVm` of @herd/api says). */
  async list(since = 0, limit = 1000, vmId?: string): Promise<HerdEvent[]> {
    const rows = await this.#ofVm(whereVisible(this.#db.selectFrom('events').selectAll().where('seq', '>', since), false, true), vmId).orderBy('seq').limit(limit).execute();
    return rows.map(toApiEvent);
  }

  /** The newest `limit` events, oldest first; with `vmId`, only that VM's. */
  async recent(limit: number, vmId?: string): Promise<HerdEvent[]> {
    const rows = await this.#ofVm(whereVisible(this.#db.selectFrom('events').selectAll(), false, true), vmId).orderBy('seq', 'desc').limit(limit).execute();
    return rows.reverse().map(toApiEvent);
  }

  // The SQL twin of isEventOfVm: an operation event carries its operation, target included.
  #ofVm<Q extends SelectQueryBuilder<Database, 'events', EventRow>>(q: Q, vmId: string | undefined): Q {
    if (vmId === undefined) return q;
    return q.where((eb) =>
      eb.or([
        eb('target_id', '=', vmId),
        eb.and([eb('target_type', '=', 'operation'), eb(sql<string>`json_extract(data, '$.operation.target.id')`, '=', vmId)]),
      ]),
    ) as Q;
  }

  // A sub-select, so that the insert stays one statement.
  #ownerOf(target: EventInput['target']) {
    const table = ownerTables[target.type];
    if (!table || !target.id) return null;
    return sql<string | null>`(SELECT project_id FROM ${sql.table(table)} WHERE id = ${target.id})`;
  }

  /** Calls `listener` with every new event until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function toApiEvent(row: EventRow): HerdEvent {
  return {
    seq: row.seq,
    time: row.time,
    type: row.type,
    target: { type: row.target_type, id: row.target_id, name: row.target_name },
    message: row.message,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
