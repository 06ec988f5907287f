/**
 * A keyed work queue in the manner of controller-runtime: a work item is only a key; one key is
 * never processed twice at once; wake-ups that arrive while a key is queued or running collapse
 * into one more pass; failures are retried with capped exponential backoff.
 */
import { runUnscoped } from '../tenancy/request-scope.js';

/** What a reconcile pass asks for next. */
export type ReconcileResult = { readonly kind: 'done' } | { readonly kind: 'again'; readonly afterMs: number };

/** Reconcile result constructors. */
export const done: ReconcileResult = { kind: 'done' };
/** Asks for another pass after `afterMs`. */
export const again = (afterMs: number): ReconcileResult => ({ kind: 'again', afterMs });

/** Options of a {@link WorkQueue}. */
export interface WorkQueueOptions {
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Called when a pass throws (after which the key is retried with backoff). */
  readonly onError?: (key: string, error: unknown, attempt: number) => void;
}

/** Processes keys with `handler`, one pass per key at a time. */
export class WorkQueue {
  readonly #handler: (key: string) => Promise<ReconcileResult>;
  readonly #options: Required<Omit<WorkQueueOptions, 'onError'>> & Pick<WorkQueueOptions, 'onError'>;
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #failures = new Map<string, number>();
  readonly #idleWaiters: (() => void)[] = [];
  readonly #released = new Map<string, (() => void)[]>();
  #stopped = false;

  constructor(handler: (key: string) => Promise<ReconcileResult>, options: WorkQueueOptions = {}) {
    this.#handler = handler;
    this.#options = { baseBackoffMs: 200, maxBackoffMs: 60_000, ...options };
  }

  /** Asks for a pass over `key` soon. Safe to call any number of times. */
  add(key: string): void {
    if (this.#stopped) return;
    const timer = this.#timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(key);
    }
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    // Reconciling is not the request's work: it runs outside the request's scope and sees every project.
    queueMicrotask(() => void runUnscoped(() => this.#process(key)));
  }

  /** Asks for a pass over `key` after `ms`, unless an earlier pass is already due. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped || this.#queued.has(key) || this.#timers.has(key)) return;
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.add(key);
      }, ms),
    );
  }

  /**
   * Runs `fn` for `key` as if it were a pass: never while a pass of `key` runs, and no pass
   * starts until it ends (wake-ups meanwhile collapse into one pass after it). For work on a VM
   * that must not race its reconciler, such as hot-plugging a disk.
   */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    while (this.#running.has(key)) await new Promise<void>((r) => this.#released.set(key, [...(this.#released.get(key) ?? []), r]));
    this.#running.add(key);
    try {
      return await fn();
    } finally {
      this.#release(key);
    }
  }

  /** Resolves once nothing is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (this.#queued.size === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Stops taking work and cancels pending timers. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  async #process(key: string): Promise<void> {
    this.#queued.delete(key);
    if (this.#stopped) return;
    // An exclusive task holds the key: run after it.
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#running.add(key);
    try {
      const result = await this.#handler(key);
      this.#failures.delete(key);
      if (result.kind === 'again') this.addAfter(key, result.afterMs);
    } catch (e) {
      const attempt = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, attempt);
      this.#options.onError?.(key, e, attempt);
      this.addAfter(key, backoffMs(attempt, this.#options.baseBackoffMs, this.#options.maxBackoffMs));
    } finally {
      this.#release(key);
    }
  }

  #release(key: string): void {
    this.#running.delete(key);
    const waiters = this.#released.get(key);
    if (waiters?.length) {
      // The next exclusive task goes first; a pending wake-up becomes a pass after it.
      this.#released.set(key, waiters.slice(1));
      waiters[0]!();
      return;
    }
    this.#released.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
    if (this.#queued.size === 0 && this.#running.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }
}

/** Capped exponential backoff: base * 2^(attempt-1), at most max. */
export function backoffMs(attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.max(0, attempt - 1));
}
