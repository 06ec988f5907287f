/**
 * The host's heartbeat: registers this host, then renews its lease every `heartbeatMs` with
 * its live facts (load, capacity, pools, networks). Once a host's lease has run out the
 * leader may restart its VMs elsewhere, so a host that cannot renew must stop its own VMs
 * before then: it fences itself when no renewal has succeeded for `leaseMs - fenceMarginMs`,
 * counted on the local monotonic clock from the START of the last successful renewal (the
 * database wrote that lease's end from a clock read after it, so the local count runs out
 * first).
 */
import type { Logger } from 'pino';
import { monotonicMs } from './fence-deadline.js';
import type { HostLiveFacts, HostRegistration, HostRepo } from './host-repo.js';
import { Signal, settleWithin } from './signal.js';

/** Timings of the heartbeat. */
export interface HeartbeatOptions {
  /** How often to renew (default 2000 ms). */
  readonly heartbeatMs?: number;
  /** How long a renewal lasts (default 10 000 ms). */
  readonly leaseMs?: number;
  /** How long before the lease ends this host fences itself (default 2000 ms). */
  readonly fenceMarginMs?: number;
  readonly log?: Logger;
}

/** Keeps this host registered and its lease renewed. Create once per daemon; start(), later stop(). */
export class HostHeartbeat {
  /** How often the lease is renewed. */
  readonly heartbeatMs: number;
  /** How long one renewal lasts, by the database's clock: past it the leader may fence this host. */
  readonly leaseMs: number;
  /** How long before its lease's end this host fences itself. */
  readonly fenceMarginMs: number;
  readonly #repo: HostRepo;
  readonly #registration: HostRegistration;
  readonly #readFacts: () => Promise<HostLiveFacts>;
  readonly #log: Logger | undefined;
  readonly #fence: Signal<[string]>;
  readonly #recovered: Signal<[]>;
  readonly #renewed: Signal<[number, number]>;
  readonly #startedAt = new Date().toISOString();
  #facts: HostLiveFacts;
  #factsReading: Promise<void> | undefined;
  /** Monotonic time at which the last successful renewal started. */
  #lastOk: number | undefined;
  #lastError = 'none yet';
  #fenceReason = '';
  #fenced = false;
  #stopped = false;
  #tick: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #beat: Promise<boolean> | undefined;
  #warnedTakeover = false;

  /**
   * `registration` is what this host registers with (its first live facts included);
   * `readFacts` reads its live facts for later heartbeats.
   */
  constructor(repo: HostRepo, registration: HostRegistration, readFacts: () => Promise<HostLiveFacts>, options: HeartbeatOptions = {}) {
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.fenceMarginMs = options.fenceMarginMs ?? 2000;
    if (!(this.heartbeatMs > 0 && this.heartbeatMs < this.leaseMs - this.fenceMarginMs))
      throw new Error(`heartbeats (every ${this.heartbeatMs} ms) must come more often than the lease (${this.leaseMs} ms) minus the fence margin (${this.fenceMarginMs} ms)`);
    this.#repo = repo;
    this.#registration = registration;
    this.#facts = registration;
    this.#readFacts = readFacts;
    this.#log = options.log;
    this.#fence = new Signal('fence', options.log);
    this.#recovered = new Signal('recovered', options.log);
    this.#renewed = new Signal('renewed', options.log);
  }

  /** The host's name. */
  get hostName(): string {
    return this.#registration.name;
  }

  /** This daemon's registration time: what tells its row from one another process registered since. */
  get startedAt(): string {
    return this.#startedAt;
  }

  /**
   * Registers the host (its lease starts) and starts renewing. Throws when the database
   * cannot be written: a daemon that cannot register does not start. Call once.
   */
  async start(): Promise<void> {
    const started = monotonicMs();
    await this.#repo.register(this.#registration, { startedAt: this.#startedAt, leaseMs: this.leaseMs });
    this.#succeeded(started);
    this.#schedule(this.heartbeatMs);
  }

  /** Whether this host has fenced itself (no renewal for too long) and not recovered yet. */
  get fenced(): boolean {
    const deadline = this.fenceDeadline;
    return this.#fenced || (!this.#stopped && deadline !== undefined && monotonicMs() >= deadline);
  }

  /** The monotonic time (fence-deadline.ts `monotonicMs`) at which this host must have stopped its VMs; undefined before start. */
  get fenceDeadline(): number | undefined {
    return this.#lastOk === undefined ? undefined : this.#lastOk + this.leaseMs - this.fenceMarginMs;
  }

  /**
   * Calls `fn(reason)` once each time the host fences itself (its lease may run out: the daemon
   * must stop its VMs), and at once if it is fenced already.
   */
  onFence(fn: (reason: string) => void): () => void {
    const off = this.#fence.on(fn);
    if (this.#fenced) this.#fence.call(fn, this.#fenceReason);
    else this.#checkFence();
    return off;
  }

  /** Calls `fn()` when a renewal succeeds again after a fence. */
  onRecovered(fn: () => void): () => void {
    return this.#recovered.on(fn);
  }

  /** Calls `fn(renewStartedAt, fenceDeadline)` (monotonic ms) after every successful renewal, the registration included. */
  onRenewed(fn: (renewStartedAt: number, fenceDeadline: number) => void): () => void {
    return this.#renewed.on(fn);
  }

  /**
   * One renewal now; resolves to whether it succeeded. The timer calls it; tests may too. Beats
   * never overlap: one that hangs holds the next back, and the fence comes on time regardless.
   */
  beat(): Promise<boolean> {
    this.#beat ??= this.#beatOnce().finally(() => (this.#beat = undefined));
    return this.#beat;
  }

  /** Stops renewing (the lease runs out by itself); waits for a beat in flight, at most a heartbeat period. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#tick);
    clearTimeout(this.#deadline);
    await settleWithin(this.#beat, this.heartbeatMs);
    await settleWithin(this.#factsReading, this.heartbeatMs);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#tick = setTimeout(() => {
      const started = monotonicMs();
      this.#refreshFacts();
      void this.beat().finally(() => this.#schedule(Math.max(0, started + this.heartbeatMs - monotonicMs())));
    }, ms);
    this.#tick.unref();
  }

  /** Reads live facts in the background: a slow probe (a hung NFS pool) must not hold renewals back. */
  #refreshFacts(): void {
    if (this.#factsReading) return;
    this.#factsReading = this.#readFacts()
      .then((f) => void (this.#facts = f))
      .catch((e: unknown) => this.#log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not read host facts; reporting the last ones'))
      .finally(() => (this.#factsReading = undefined));
  }

  async #beatOnce(): Promise<boolean> {
    if (this.#stopped) return false;
    const started = monotonicMs();
    const terms = { startedAt: this.#startedAt, leaseMs: this.leaseMs };
    try {
      let ok = await this.#repo.heartbeat(this.#registration.name, this.#facts, terms);
      if (!ok) ok = await this.#rejoin();
      if (this.#stopped) return false;
      if (ok) {
        this.#succeeded(started);
        return true;
      }
    } catch (e) {
      this.#lastError = `${new Date().toISOString()} (${e instanceof Error ? e.message : String(e)})`;
      this.#log?.warn({ err: e instanceof Error ? e.message : String(e), fenceInMs: (this.fenceDeadline ?? 0) - monotonicMs() }, 'could not renew the host lease');
    }
    return false;
  }

  /**
   * After a heartbeat found no row of its own to renew: registers again when the row is gone
   * (`herd host remove`) or the leader marked this daemon's row offline (it fenced itself
   * before, so its VMs are stopped). A row another process registered since is left to it.
   */
  async #rejoin(): Promise<boolean> {
    const name = this.#registration.name;
    const row = await this.#repo.find(name);
    if (row && row.startedAt !== this.#startedAt) {
      if (!this.#warnedTakeover) this.#log?.error({ host: name, startedAt: row.startedAt }, `another herd process registered as host '${name}'; this one stops renewing its lease`);
      this.#warnedTakeover = true;
      this.#lastError = `${new Date().toISOString()} (another process registered as host '${name}' at ${row.startedAt})`;
      return false;
    }
    if (row && row.status === 'online') return false;
    this.#log?.warn({ host: name, was: row ? 'offline' : 'removed' }, 'registering this host again');
    await this.#repo.register({ ...this.#registration, ...this.#facts }, { startedAt: this.#startedAt, leaseMs: this.leaseMs });
    return true;
  }

  #succeeded(started: number): void {
    // A renewal that ends after the deadline comes too late to spare the VMs: fence first.
    this.#checkFence();
    if (this.#lastOk === undefined || started > this.#lastOk) this.#lastOk = started;
    const deadline = this.fenceDeadline!;
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => this.#checkFence(), Math.max(0, deadline - monotonicMs()));
    this.#deadline.unref();
    if (this.#fenced && monotonicMs() < deadline) {
      this.#fenced = false;
      this.#log?.info({ host: this.#registration.name }, 'host lease renewed again: no longer fenced');
      this.#recovered.emit();
    }
    this.#renewed.emit(started, deadline);
  }

  #checkFence(): void {
    const deadline = this.fenceDeadline;
    if (this.#fenced || this.#stopped || deadline === undefined || monotonicMs() < deadline) return;
    this.#fenced = true;
    const reason = (this.#fenceReason = `no lease renewal succeeded for ${Math.round(monotonicMs() - this.#lastOk!)} ms (lease ${this.leaseMs} ms, margin ${this.fenceMarginMs} ms); last error: ${this.#lastError}`);
    this.#log?.error({ host: this.#registration.name, reason }, 'fencing this host: its VMs must stop before its lease runs out');
    this.#fence.emit(reason);
  }
}
