/** The webhook use cases behind the API: register, list, delete, and show deliveries. */
import { randomUUID } from 'node:crypto';
import { HerdError, type Webhook, type WebhookCreate, type WebhookDelivery } from '@herd/api';
import { nowIso } from '../util/time.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';
import type { WebhookRecord, WebhookRepo } from './webhook-repo.js';

/** Webhooks. One per daemon. */
export class WebhookService {
  readonly #repo: WebhookRepo;
  readonly #dispatcher: WebhookDispatcher;

  constructor(repo: WebhookRepo, dispatcher: WebhookDispatcher) {
    this.#repo = repo;
    this.#dispatcher = dispatcher;
  }

  /** Registers a webhook; events from now on are delivered to it. */
  async create(body: WebhookCreate): Promise<Webhook> {
    let url: URL;
    try {
      url = new URL(body.url);
    } catch {
      throw new HerdError('validation_failed', { field: 'url', reason: `'${body.url}' is not a URL; use http://HOST[:PORT]/PATH or https://...` });
    }
    const record: WebhookRecord = {
      id: randomUUID(),
      url: url.toString(),
      events: [...new Set(body.events ?? [])],
      secret: body.secret ?? null,
      createdAt: nowIso(),
    };
    await this.#repo.insert(record);
    await this.#dispatcher.refresh();
    return toApi(record, undefined);
  }

  /** Every webhook with its delivery counts. */
  async list(): Promise<Webhook[]> {
    const counts = await this.#repo.counts();
    return (await this.#repo.list()).map((w) => toApi(w, counts.get(w.id)));
  }

  /** Deletes a webhook and its deliveries. Throws not_found. */
  async delete(id: string): Promise<Webhook> {
    const w = await this.#find(id);
    const counts = await this.#repo.counts();
    await this.#repo.remove(w.id);
    await this.#dispatcher.refresh();
    return toApi(w, counts.get(w.id));
  }

  /** A webhook's deliveries, newest first. Throws not_found. */
  async deliveries(id: string, status: WebhookDelivery['status'] | undefined, limit = 100): Promise<WebhookDelivery[]> {
    const w = await this.#find(id);
    return this.#repo.deliveries(w.id, status, limit);
  }

  async #find(id: string): Promise<WebhookRecord> {
    const w = await this.#repo.get(id);
    if (!w) throw new HerdError('not_found', { kind: 'webhook', name: id });
    return w;
  }
}

function toApi(w: WebhookRecord, deliveries: Webhook['deliveries'] | undefined): Webhook {
  return {
    id: w.id,
    url: w.url,
    events: [...w.events],
    hasSecret: w.secret !== null,
    createdAt: w.createdAt,
    deliveries: deliveries ?? { pending: 0, delivered: 0, failed: 0 },
  };
}
