/**
 * The append-only event log: every change is a row in `events` and is pushed to live
 * subscribers (the SSE stream, operation trackers). The audit trail and the event stream are
 * the same records.
 *
 * In cluster mode (PostgreSQL) subscribers also get the events other hosts append. Appends are
 * serialized cluster-wide (an advisory lock), so seq order is commit order; each append
 * announces its seq on the `herd_events` channel, and every host then reads the rows after the
 * last it delivered and delivers them in seq order, its own included, each once.
 */
import type { HerdEvent } from '@herd/api';
import { sql, type SelectQueryBuilder } from 'kysely';
import { lockKey } from '../store/db-lock.js';
import { dialectOf } from '../store/dialect.js';
import type { Notifier } from '../store/notifier.js';
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

/** Options of {@link EventLog.subscribe}. */
export interface SubscribeOptions {
  /**
   * Only events this process appended, not those of other hosts: for work that must happen
   * once per event across a cluster (webhook deliveries), done by the host that appended it.
   */
  readonly thisHostOnly?: boolean;
}

/** The notification channel of appends; the payload is the new event's seq. */
export const eventsChannel = 'herd_events';
const catchUpBatch = 500;
/** How long start() waits to hear other hosts before it goes on (and catches up once it hears). */
const hearingWaitMs = 10_000;

// The project of an event's target, when the event is not recorded inside a request's scope.
const ownerTables: Readonly<Record<string, 'vms' | 'images' | 'volumes' | 'networks' | 'security_groups' | 'operations'>> = {
  vm: 'vms',
  image: 'images',
  volume: 'volumes',
  network: 'networks',
  secgroup: 'security_groups',
  operation: 'operations',
};

/** Appends events and fans them out. Create once per daemon; {@link close} before the database. */
export class EventLog {
  readonly #db: Db;
  readonly #listeners = new Map<Listener, SubscribeOptions>();
  /** Cluster mode only: how appends are announced and heard. */
  readonly #notifier: Notifier | undefined;
  /** Cluster mode: the newest seq delivered; undefined until {@link start} read where the log stood. */
  #delivered: number | undefined;
  /** Cluster mode: seqs this process appended and has not delivered yet. */
  readonly #own = new Set<number>();
  #started: Promise<void> | undefined;
  #baselineRead: Promise<void> | undefined;
  #unlisten: (() => void) | undefined;
  #catchingUp: Promise<void> = Promise.resolve();
  #nextCatchUp: Promise<void> | undefined;
  #closed = false;

  /**
   * `notifier` makes it follow the other hosts of a cluster on the same PostgreSQL database;
   * on SQLite (one host) it is not needed, and subscribers get this process's appends only.
   */
  constructor(db: Db, notifier?: Notifier) {
    this.#db = db;
    this.#notifier = notifier && dialectOf(db) === 'postgres' ? notifier : undefined;
  }

  /** Records an event and delivers it to subscribers; returns it with its seq. */
  async append(input: EventInput): Promise<HerdEvent> {
    if (!this.#notifier) {
      const row = await this.#insert(this.#db, input);
      const event = toApiEvent(row);
      for (const [l] of this.#listeners) l(event, row.project_id ?? null);
      return event;
    }
    if (this.#delivered === undefined) {
      void this.start().catch(() => undefined);
      await this.#baseline();
    }
    const row = await this.#db.transaction().execute(async (trx) => {
      await lockKey(trx, 'events');
      const inserted = await this.#insert(trx, input);
      // Marked before the commit: another catch-up may read the row before this one resumes.
      this.#own.add(inserted.seq);
      return inserted;
    });
    // Delivery failures are not the append's: the event is stored, and the next catch-up
    // (another append, a notification, a reconnect) delivers it.
    await this.#notifier.notify(eventsChannel, String(row.seq)).catch(() => undefined);
    await this.#catchUp().catch(() => undefined);
    return toApiEvent(row);
  }

  /**
   * Cluster mode: starts hearing other hosts' appends; every event appended (anywhere) after it
   * resolves reaches the subscribers. If the notifier cannot hear within 10 s it resolves
   * anyway, and what was appended meanwhile is delivered once it hears. Idempotent, and tried
   * again after a failure; append and subscribe start it too, but a caller that must not miss
   * the events right after (the daemon at startup, tests) awaits it. Without a notifier there
   * is nothing to start.
   */
  start(): Promise<void> {
    const notifier = this.#notifier;
    if (!notifier || this.#closed) return Promise.resolve();
    this.#unlisten ??= notifier.listen(
      eventsChannel,
      (seq) => {
        if (this.#delivered !== undefined && Number(seq) > this.#delivered) void this.#catchUp().catch(() => undefined);
      },
      () => void this.#catchUp().catch(() => undefined),
    );
    this.#started ??= (async () => {
      // Hear first, then read where the log stands: an append committed after the read is heard.
      await withinMs(notifier.listening(), hearingWaitMs);
      await this.#baseline();
    })().catch((e: unknown) => {
      this.#started = undefined;
      throw e;
    });
    return this.#started;
  }

  /** Reads where the log stands, once: the events before are not delivered. */
  #baseline(): Promise<void> {
    this.#baselineRead ??= (async () => {
      const last = await this.#db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
      this.#delivered ??= Number(last?.seq ?? 0);
    })().catch((e: unknown) => {
      this.#baselineRead = undefined;
      throw e;
    });
    return this.#baselineRead;
  }

  /** Stops following other hosts (cluster mode). Idempotent; call before closing the notifier and the database. */
  close(): void {
    this.#closed = true;
    this.#unlisten?.();
    this.#unlisten = undefined;
  }

  async #insert(db: Db, input: EventInput): Promise<EventRow> {
    return db
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
  }

  /**
   * Delivers the rows after the last delivered, in seq order. Runs one at a time; calls made
   * while one waits to run share it, so a burst of notifications costs one read.
   */
  #catchUp(): Promise<void> {
    if (this.#nextCatchUp) return this.#nextCatchUp;
    const run = this.#catchingUp.then(async () => {
      this.#nextCatchUp = undefined;
      await this.#deliverNew();
    });
    this.#nextCatchUp = run;
    this.#catchingUp = run.catch(() => undefined);
    return run;
  }

  async #deliverNew(): Promise<void> {
    for (;;) {
      if (this.#delivered === undefined || this.#closed) return;
      const rows = await this.#db.selectFrom('events').selectAll().where('seq', '>', this.#delivered).orderBy('seq').limit(catchUpBatch).execute();
      for (const row of rows) {
        this.#delivered = row.seq;
        const own = this.#own.delete(row.seq);
        const event = toApiEvent(row);
        for (const [l, options] of [...this.#listeners]) {
          if (options.thisHostOnly && !own) continue;
          try {
            l(event, row.project_id ?? null);
          } catch {
            // A subscriber's failure is its own; the others still get the event, in order.
          }
        }
      }
      if (rows.length < catchUpBatch) return;
    }
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
        eb.and([eb('target_type', '=', 'operation'), eb(this.#operationTargetId(), '=', vmId)]),
      ]),
    ) as Q;
  }

  #operationTargetId() {
    return dialectOf(this.#db) === 'postgres' ? sql<string>`(data::jsonb #>> '{operation,target,id}')` : sql<string>`json_extract(data, '$.operation.target.id')`;
  }

  // A sub-select, so that the insert stays one statement.
  #ownerOf(target: EventInput['target']) {
    const table = ownerTables[target.type];
    if (!table || !target.id) return null;
    return sql<string | null>`(SELECT project_id FROM ${sql.table(table)} WHERE id = ${target.id})`;
  }

  /**
   * Calls `listener` with every new event until the returned function is called: in cluster
   * mode those of every host (unless `thisHostOnly`), in seq order.
   */
  subscribe(listener: Listener, options: SubscribeOptions = {}): () => void {
    this.#listeners.set(listener, options);
    if (this.#notifier) void this.start().catch(() => undefined);
    return () => this.#listeners.delete(listener);
  }
}

/** Settles when `p` does, or after `ms`, whichever is first. */
async function withinMs(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  try {
    await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
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
