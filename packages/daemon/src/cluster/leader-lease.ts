/**
 * The leader lease: one row `leader` in `leases`, through which exactly one host of a cluster
 * leads (runs the scheduler and the HA loop). Every host tries to take or renew it every
 * third of its duration with one conditional upsert: it succeeds when the caller already holds
 * it or it has run out by the database's clock, and `term` grows whenever it changes hands, so
 * that a deposed leader's late writes can be told apart.
 *
 * The holder counts its lease from the START of its last successful renewal on the local
 * monotonic clock, which is never later than the database's view of it (the database wrote
 * `expires_at` from a clock read after that start). It steps down by itself when that runs out
 * without a renewal, so it stops leading before anyone else can start. On SQLite the one host
 * simply leads.
 */
import type { Logger } from 'pino';
import { dbNow } from '../store/db-clock.js';
import type { Db } from '../store/open-database.js';
import { monotonicMs } from './fence-deadline.js';
import { Signal, settleWithin } from './signal.js';

/** Timings and identity of a leader lease. */
export interface LeaderLeaseOptions {
  /** Who asks: this host's name. */
  readonly holder: string;
  /** How long a renewal lasts (default 6000 ms). */
  readonly leaseMs?: number;
  /** How often to try (default a third of the lease). */
  readonly renewMs?: number;
  /** The lease's row (default `leader`). */
  readonly name?: string;
  readonly log?: Logger;
}

/** Held while this host leads: its term, and when its lease runs out on the local monotonic clock. */
interface Held {
  readonly term: number;
  readonly until: number;
}

/** Takes, renews and gives up the leader lease. Create once per daemon; start(), later release() or stop(). */
export class LeaderLease {
  /** How long one renewal lasts. */
  readonly leaseMs: number;
  /** How often it tries to take or renew the lease. */
  readonly renewMs: number;
  readonly #db: Db;
  readonly #holder: string;
  readonly #name: string;
  readonly #log: Logger | undefined;
  readonly #elected: Signal<[number]>;
  readonly #deposed: Signal<[string]>;
  #held: Held | undefined;
  #tick: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #attempt: Promise<void> | undefined;
  #stopped = false;

  constructor(db: Db, options: LeaderLeaseOptions) {
    this.#db = db;
    this.#holder = options.holder;
    this.#name = options.name ?? 'leader';
    this.leaseMs = options.leaseMs ?? 6000;
    this.renewMs = options.renewMs ?? Math.floor(this.leaseMs / 3);
    if (!(this.renewMs > 0 && this.renewMs < this.leaseMs)) throw new Error(`the leader lease must be renewed (every ${this.renewMs} ms) more often than it lasts (${this.leaseMs} ms)`);
    this.#log = options.log;
    this.#elected = new Signal('elected', options.log);
    this.#deposed = new Signal('deposed', options.log);
  }

  /** Starts trying to lead: a first attempt now, then one every `renewMs`. Call once. */
  start(): void {
    this.#schedule(0);
  }

  /** Whether this host leads right now (its lease has not run out on the local clock). Any time. */
  isLeader(): boolean {
    return this.#held !== undefined && monotonicMs() < this.#held.until;
  }

  /** The term this host leads in, or undefined when it does not lead. */
  get term(): number | undefined {
    return this.isLeader() ? this.#held?.term : undefined;
  }

  /**
   * Calls `fn(term)` each time this host becomes leader, and at once if it leads already.
   * Returns the function that unsubscribes.
   */
  onElected(fn: (term: number) => void): () => void {
    const off = this.#elected.on(fn);
    const term = this.term;
    if (term !== undefined) this.#elected.call(fn, term);
    return off;
  }

  /** Calls `fn(reason)` each time this host stops leading (lost, not renewed in time, released). */
  onDeposed(fn: (reason: string) => void): () => void {
    return this.#deposed.on(fn);
  }

  /**
   * One attempt to take or renew the lease now; resolves to whether this host leads after it.
   * The timer calls it; tests may too. Attempts never overlap: a call while one runs waits for it.
   */
  async attempt(): Promise<boolean> {
    if (!this.#attempt) this.#attempt = this.#tryOnce().finally(() => (this.#attempt = undefined));
    await this.#attempt;
    return this.isLeader();
  }

  /**
   * Stops trying and leading, without giving up a lease held (it runs out). Waits for an
   * attempt in flight, at most a renewal period. Idempotent.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#tick);
    this.#stepDown('stopped');
    await settleWithin(this.#attempt, this.renewMs);
  }

  /**
   * Stops trying and gives the lease up at once, so that another host takes over at its next
   * attempt instead of waiting for the lease to run out. For a clean shutdown. Idempotent.
   */
  async release(): Promise<void> {
    const term = this.#held?.term;
    await this.stop();
    if (term === undefined) return;
    // Nobody holds it now: whoever takes it next, this host included, starts a new term.
    const given = this.#db
      .updateTable('leases')
      .set({ holder: '', expires_at: new Date(0).toISOString() })
      .where('name', '=', this.#name)
      .where('holder', '=', this.#holder)
      .where('term', '=', term)
      .execute()
      .catch((e: unknown) => this.#log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not release the leader lease; it runs out by itself'));
    await settleWithin(given, this.renewMs);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#tick = setTimeout(() => {
      const started = monotonicMs();
      void this.attempt().finally(() => this.#schedule(Math.max(0, started + this.renewMs - monotonicMs())));
    }, ms);
    this.#tick.unref();
  }

  async #tryOnce(): Promise<void> {
    if (this.#stopped) return;
    const started = monotonicMs();
    let term: number | undefined;
    try {
      term = await this.#upsert();
    } catch (e) {
      // Keep leading until the lease runs out on the local clock: the next attempt may succeed.
      this.#log?.warn({ err: e instanceof Error ? e.message : String(e), leader: this.isLeader() }, 'could not renew the leader lease');
      return;
    }
    if (this.#stopped) return;
    if (term === undefined) return this.#stepDown('another host holds the leader lease');
    const until = started + this.leaseMs;
    // An answer that took longer than the lease proves nothing about now.
    if (monotonicMs() >= until) return this.#stepDown('the leader lease renewal took longer than the lease');
    // A lease that ran out before its deadline timer could say so ends here, before the next begins.
    if (this.#held && !this.isLeader()) this.#stepDown('the leader lease was not renewed in time');
    const was = this.#held?.term;
    this.#held = { term, until };
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => this.#stepDown('the leader lease was not renewed in time'), until - monotonicMs());
    this.#deadline.unref();
    if (was !== term) {
      if (was !== undefined) this.#deposed.emit(`term ${was} ended`);
      this.#log?.info({ term, holder: this.#holder }, 'elected leader');
      this.#elected.emit(term);
    }
  }

  /** Takes or renews the lease in one statement; resolves to the term held, or undefined when another host holds it. */
  async #upsert(): Promise<number | undefined> {
    const now = await dbNow(this.#db);
    const nowIso = now.toISOString();
    const row = await this.#db
      .insertInto('leases')
      .values({ name: this.#name, holder: this.#holder, term: 1, expires_at: new Date(now.getTime() + this.leaseMs).toISOString() })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet((eb) => ({
            holder: eb.ref('excluded.holder'),
            expires_at: eb.ref('excluded.expires_at'),
            term: eb.case().when('leases.holder', '=', this.#holder).then(eb.ref('leases.term')).else(eb('leases.term', '+', 1)).end(),
          }))
          .where((eb) => eb.or([eb('leases.holder', '=', this.#holder), eb('leases.expires_at', '<', nowIso)])),
      )
      .returning('term')
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.term);
  }

  #stepDown(reason: string): void {
    clearTimeout(this.#deadline);
    const held = this.#held;
    this.#held = undefined;
    if (!held) return;
    this.#log?.info({ term: held.term, reason }, 'no longer leader');
    this.#deposed.emit(reason);
  }
}
