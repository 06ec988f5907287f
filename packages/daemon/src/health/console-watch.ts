/** Watches a VM's console output for a pattern, remembering when it last appeared. */
import type { ConsoleHub } from '../console/console-hub.js';

/** How much earlier output is kept so that a match split across chunks is still found. */
const overlap = 1024;

/** Follows a console and records the time of the latest match of `pattern`. */
export class ConsoleWatch {
  readonly #pattern: RegExp;
  readonly #unsubscribe: () => void;
  #tail = '';
  #lastMatch = 0;
  #skipHistory: boolean;

  constructor(hub: ConsoleHub, pattern: string) {
    const p = new RegExp(pattern);
    this.#pattern = new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`);
    // subscribe() first hands over the recent history (when there is any): output from before
    // the watch began must not count as a match.
    this.#skipHistory = hub.recent().length > 0;
    this.#unsubscribe = hub.subscribe((chunk) => this.#feed(chunk));
  }

  /** Milliseconds since the epoch of the last match after the watch began, or 0. */
  get lastMatch(): number {
    return this.#lastMatch;
  }

  /** Stops watching. */
  close(): void {
    this.#unsubscribe();
  }

  #feed(chunk: Buffer): void {
    const text = this.#tail + chunk.toString('utf8');
    if (this.#skipHistory) this.#skipHistory = false;
    else {
      // Only a match that ends in the new output counts; the kept tail is there so that a
      // match split across two chunks is found, not so that an old one is found again.
      for (const m of text.matchAll(this.#pattern)) {
        if (m.index + m[0].length > this.#tail.length) {
          this.#lastMatch = Date.now();
          break;
        }
      }
    }
    this.#tail = text.slice(-overlap);
  }
}
