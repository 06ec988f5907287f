/** The notifier of a single host (SQLite): notifications stay in this process. */
import type { Notifier } from './notifier.js';

/** In-process notifications, delivered asynchronously like PostgreSQL's. Made by openNotifier. */
export class LocalNotifier implements Notifier {
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  #closed = false;

  async notify(channel: string, payload: string): Promise<void> {
    if (this.#closed) return;
    for (const fn of [...(this.#channels.get(channel) ?? [])]) queueMicrotask(() => hear(fn, payload));
  }

  listen(channel: string, fn: (payload: string) => void): () => void {
    const set = this.#channels.get(channel) ?? new Set();
    this.#channels.set(channel, set);
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.#channels.get(channel) === set) this.#channels.delete(channel);
    };
  }

  async listening(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
    this.#channels.clear();
  }
}

/** Calls a listener; its failure is its own and does not stop the others. */
export function hear(fn: (payload: string) => void, payload: string): void {
  try {
    fn(payload);
  } catch {
    // Nothing to do here: a listener handles (or logs) its own errors.
  }
}
