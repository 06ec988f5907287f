/**
 * Delivers events to webhooks. Each event a webhook wants becomes a delivery row first (so a
 * daemon restart resumes it), then a POST of the event's JSON with a timeout; failures are
 * retried with capped exponential backoff until delivered or out of attempts. Nothing here runs
 * on the caller's path: the event listener only queues a write, and sending happens in a pump
 * bounded by a concurrency limit, so a slow receiver never holds up the daemon's loops.
 */
import { randomUUID } from 'node:crypto';
import type { HerdEvent } from '@herd/api';
import type { Logger } from 'pino';
import { nowIso } from '../util/time.js';
import { defaultBackoff, retryDelay, type BackoffOptions } from './backoff.js';
import { wantsEvent } from './event-filter.js';
import { httpPost, type Post } from './http-post.js';
import { signatureHeader, signBody } from './signature.js';
import type { DeliveryRow, WebhookRecord, WebhookRepo } from './webhook-repo.js';

/** Options of {@link WebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  readonly repo: WebhookRepo;
  readonly log: Logger;
  readonly userAgent: string;
  readonly backoff?: BackoffOptions;
  /** Per-attempt timeout, ms (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts in flight at once (default 4). */
  readonly concurrency?: number;
  /** Finished deliveries are kept this long (default 7 days). */
  readonly keepMs?: number;
  /** How to POST (default: node:http/https). */
  readonly post?: Post;
  readonly now?: () => number;
}

/** Where events come from. */
export interface EventSource {
  subscribe(listener: (e: HerdEvent) => void, options?: { readonly thisHostOnly?: boolean }): () => void;
}

const maxTimer = 2 ** 31 - 1;

/** Queues and sends deliveries. Create once; `start`, and `close` before the database closes. */
export class WebhookDispatcher {
  readonly #o: Required<WebhookDispatcherOptions>;
  #hooks: WebhookRecord[] = [];
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #pumping = false;
  #again = false;
  #closed = false;
  #unsubscribe: (() => void) | undefined;

  constructor(options: WebhookDispatcherOptions) {
    this.#o = {
      backoff: defaultBackoff,
      timeoutMs: 10_000,
      concurrency: 4,
      keepMs: 7 * 86_400_000,
      post: httpPost,
      now: Date.now,
      ...options,
    };
  }

  /** Loads the webhooks, follows `events`, and resumes pending deliveries. Call once. */
  async start(events: EventSource): Promise<void> {
    await this.refresh();
    await this.#o.repo.pruneFinished(new Date(this.#o.now() - this.#o.keepMs).toISOString());
    // In a cluster every host hears every event; the one that appended it queues its deliveries.
    this.#unsubscribe = events.subscribe((e) => this.#enqueue(e), { thisHostOnly: true });
    this.kick();
  }

  /** Rereads the webhooks (after one is created or deleted). */
  async refresh(): Promise<void> {
    this.#hooks = await this.#o.repo.list();
  }

  /** Looks for due deliveries now. */
  kick(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    void this.#pump();
  }

  /** Waits until queued deliveries are written and attempts in flight have ended (tests). */
  async settled(): Promise<void> {
    await this.#writing;
    await Promise.all(this.#inflight.values());
  }

  /** Stops sending: attempts in flight are aborted (and retried after a restart). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort.abort();
    await this.settled();
  }

  #enqueue(e: HerdEvent): void {
    const hooks = this.#hooks.filter((h) => wantsEvent(h.events, e.type));
    if (!hooks.length) return;
    const payload = JSON.stringify(e);
    const now = this.#o.now();
    const rows: DeliveryRow[] = hooks.map((h) => ({
      id: randomUUID(),
      webhook_id: h.id,
      event_seq: e.seq,
      event_type: e.type,
      payload,
      status: 'pending',
      attempts: 0,
      last_status_code: null,
      last_error: null,
      next_attempt_at: now,
      created_at: nowIso(),
      delivered_at: null,
    }));
    this.#writing = this.#writing
      .then(() => this.#o.repo.insertDeliveries(rows))
      .then(() => this.kick())
      .catch((err: unknown) => this.#o.log.error({ err: String(err), event: e.seq }, 'could not queue webhook deliveries'));
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        const slots = this.#o.concurrency - this.#inflight.size;
        if (slots <= 0) break;
        const now = this.#o.now();
        for (const row of await this.#o.repo.due(now, slots, new Set(this.#inflight.keys()))) {
          if (this.#closed) return;
          // A lease: while the attempt runs the row is not due again; after a crash it is, once
          // the lease ends. Another host's dispatcher may have taken it since it was read.
          if (row.next_attempt_at === null || !(await this.#o.repo.claim(row.id, row.next_attempt_at, now + this.#o.timeoutMs + 5_000))) continue;
          const p = this.#attempt(row).finally(() => {
            this.#inflight.delete(row.id);
            this.kick();
          });
          this.#inflight.set(row.id, p);
        }
      } while (this.#again && !this.#closed);
      await this.#scheduleNext();
    } catch (err) {
      this.#o.log.error({ err: String(err) }, 'webhook delivery pump failed; retrying in 5 s');
      this.#arm(5_000);
    } finally {
      this.#pumping = false;
    }
  }

  async #scheduleNext(): Promise<void> {
    const next = await this.#o.repo.nextDue();
    if (next === undefined) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
    } else this.#arm(next - this.#o.now());
  }

  #arm(ms: number): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.kick(), Math.min(maxTimer, Math.max(0, ms)));
    this.#timer.unref();
  }

  async #attempt(row: DeliveryRow): Promise<void> {
    const hook = this.#hooks.find((h) => h.id === row.webhook_id) ?? (await this.#o.repo.get(row.webhook_id));
    if (!hook) return; // deleted meanwhile; its deliveries went with it
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.#o.userAgent,
      'x-herd-event': row.event_type,
      'x-herd-delivery': row.id,
    };
    if (hook.secret) headers[signatureHeader] = signBody(hook.secret, row.payload);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.#o.post(hook.url, headers, row.payload, { timeoutMs: this.#o.timeoutMs, signal: this.#abort.signal });
      status = res.status;
      if (status < 200 || status > 299) error = `the receiver answered ${res.status}`;
    } catch (e) {
      error = describePostError(e, this.#o.timeoutMs);
    }
    const attempts = row.attempts + 1;
    if (this.#closed && error !== null) {
      // Interrupted by shutdown: not the receiver's fault; the next start tries again at once.
      await this.#o.repo.updateDelivery(row.id, { next_attempt_at: this.#o.now() }).catch(() => undefined);
      return;
    }
    if (error === null) {
      await this.#o.repo.updateDelivery(row.id, { status: 'delivered', attempts, last_status_code: status, last_error: null, next_attempt_at: null, delivered_at: nowIso() });
      return;
    }
    const delay = retryDelay(attempts, this.#o.backoff);
    if (delay === null) this.#o.log.warn({ webhook: hook.url, delivery: row.id, event: row.event_seq, attempts, err: error }, 'webhook delivery failed; giving up');
    else this.#o.log.info({ webhook: hook.url, delivery: row.id, attempts, retryInMs: delay, err: error }, 'webhook delivery failed; will retry');
    await this.#o.repo.updateDelivery(row.id, {
      status: delay === null ? 'failed' : 'pending',
      attempts,
      last_status_code: status,
      last_error: error,
      next_attempt_at: delay === null ? null : this.#o.now() + delay,
    });
  }
}

function describePostError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  return e instanceof Error ? e.message : String(e);
}
