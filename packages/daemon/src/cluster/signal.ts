/** Callbacks for one kind of cluster happening (elected, deposed, fenced, ...). */
import type { Logger } from 'pino';

/**
 * A list of callbacks called in order with the same arguments. A callback that throws is
 * logged and does not keep the others from running: the lease and heartbeat loops that emit
 * must go on whatever a subscriber does.
 */
export class Signal<A extends unknown[]> {
  readonly #fns = new Set<(...args: A) => void>();
  readonly #name: string;
  readonly #log: Logger | undefined;

  constructor(name: string, log?: Logger) {
    this.#name = name;
    this.#log = log;
  }

  /** Adds `fn`; returns the function that removes it. */
  on(fn: (...args: A) => void): () => void {
    this.#fns.add(fn);
    return () => void this.#fns.delete(fn);
  }

  /** Calls every callback with `args`. */
  emit(...args: A): void {
    for (const fn of [...this.#fns]) this.call(fn, ...args);
  }

  /** Calls one callback as emit() would (for catching a late subscriber up). */
  call(fn: (...args: A) => void, ...args: A): void {
    try {
      fn(...args);
    } catch (e) {
      this.#log?.error({ err: e instanceof Error ? e.message : String(e), signal: this.#name }, 'a cluster callback failed');
    }
  }
}

/**
 * Waits for `p` to settle, but at most `ms`: shutdown must not hang on a query whose
 * connection hangs. Resolves either way.
 */
export async function settleWithin(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
