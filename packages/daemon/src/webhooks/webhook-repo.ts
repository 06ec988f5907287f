/** Webhooks and their deliveries in the database. Deliveries are rows so a restart loses none. */
import type { Webhook, WebhookDelivery } from '@herd/api';
import type { Db } from '../store/open-database.js';
import type { WebhookDeliveriesTable, WebhooksTable } from '../store/schema.js';

/** A webhook with its secret (never sent to clients). */
export interface WebhookRecord {
  readonly id: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly secret: string | null;
  readonly createdAt: string;
}

/** A delivery as the dispatcher needs it. */
export type DeliveryRow = WebhookDeliveriesTable;

/** Reads and writes webhooks and deliveries. One per daemon. */
export class WebhookRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Every webhook, oldest first. */
  async list(): Promise<WebhookRecord[]> {
    return (await this.#db.selectFrom('webhooks').selectAll().orderBy('created_at').execute()).map(fromRow);
  }

  /** The webhook with this id, or undefined. */
  async get(id: string): Promise<WebhookRecord | undefined> {
    const row = await this.#db.selectFrom('webhooks').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Stores a new webhook. */
  async insert(w: WebhookRecord): Promise<void> {
    await this.#db
      .insertInto('webhooks')
      .values({ id: w.id, url: w.url, events: JSON.stringify(w.events), secret: w.secret, created_at: w.createdAt })
      .execute();
  }

  /** Removes a webhook and (by cascade) its deliveries. */
  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('webhooks').where('id', '=', id).execute();
  }

  /** Delivery counts by status for each webhook. */
  async counts(): Promise<Map<string, Webhook['deliveries']>> {
    const rows = await this.#db
      .selectFrom('webhook_deliveries')
      .select((eb) => ['webhook_id', 'status', eb.fn.countAll<number>().as('n')])
      .groupBy(['webhook_id', 'status'])
      .execute();
    const out = new Map<string, Webhook['deliveries']>();
    for (const r of rows) {
      const c = out.get(r.webhook_id) ?? { pending: 0, delivered: 0, failed: 0 };
      out.set(r.webhook_id, { ...c, [r.status]: Number(r.n) });
    }
    return out;
  }

  /** Queues deliveries. */
  async insertDeliveries(rows: readonly DeliveryRow[]): Promise<void> {
    if (rows.length) await this.#db.insertInto('webhook_deliveries').values([...rows]).execute();
  }

  /** Pending deliveries due by `now` (ms), oldest first, at most `limit`, skipping `busy` ids. */
  async due(now: number, limit: number, busy: ReadonlySet<string>): Promise<DeliveryRow[]> {
    let q = this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit);
    if (busy.size) q = q.where('id', 'not in', [...busy]);
    return q.execute();
  }

  /**
   * Takes pending delivery `id` until `until` (ms) if it is still due at `seen`, as `due` read
   * it: true for the one caller that gets it. In a cluster every host's dispatcher reads the
   * same deliveries; only the one whose claim lands sends.
   */
  async claim(id: string, seen: number, until: number): Promise<boolean> {
    const r = await this.#db.updateTable('webhook_deliveries').set({ next_attempt_at: until }).where('id', '=', id).where('status', '=', 'pending').where('next_attempt_at', '=', seen).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** When the next pending delivery is due (ms), or undefined when none is pending. */
  async nextDue(): Promise<number | undefined> {
    const r = await this.#db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('t'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return r?.t ?? undefined;
  }

  /** Records the outcome of an attempt. */
  async updateDelivery(id: string, patch: Partial<Pick<DeliveryRow, 'status' | 'attempts' | 'last_status_code' | 'last_error' | 'next_attempt_at' | 'delivered_at'>>): Promise<void> {
    await this.#db.updateTable('webhook_deliveries').set(patch).where('id', '=', id).execute();
  }

  /** A webhook's deliveries, newest first. */
  async deliveries(webhookId: string, status: DeliveryRow['status'] | undefined, limit: number): Promise<WebhookDelivery[]> {
    let q = this.#db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
    if (status) q = q.where('status', '=', status);
    const rows = await q.orderBy('created_at', 'desc').orderBy('event_seq', 'desc').limit(limit).execute();
    return rows.map(toApiDelivery);
  }

  /** Deletes finished deliveries created before `beforeIso`. */
  async pruneFinished(beforeIso: string): Promise<void> {
    await this.#db.deleteFrom('webhook_deliveries').where('status', '!=', 'pending').where('created_at', '<', beforeIso).execute();
  }
}

function fromRow(r: WebhooksTable): WebhookRecord {
  return { id: r.id, url: r.url, events: JSON.parse(r.events) as string[], secret: r.secret, createdAt: r.created_at };
}

function toApiDelivery(r: DeliveryRow): WebhookDelivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    event: { seq: r.event_seq, type: r.event_type },
    status: r.status,
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at === null ? null : new Date(r.next_attempt_at).toISOString(),
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}
