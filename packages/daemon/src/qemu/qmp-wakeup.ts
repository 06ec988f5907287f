/**
 * Wake-ups for code that follows QEMU's state by reading it: QMP events (and the end of the
 * connection, and an abort) only prompt the next read, so an event that is missed or arrives
 * during a read costs at most one polling interval, never a wrong answer. Events that arrive
 * while nobody waits are remembered (once) until the next `clear`.
 */
import type { QmpClient } from './qmp-client.js';
import type { QmpEvent } from './qmp-messages.js';

/** Wakes a polling loop early when a matching event arrives. Create with {@link QmpWakeup.watch}; `dispose` when done. */
export class QmpWakeup {
  #signalled = false;
  #resolve: (() => void) | undefined;
  readonly #unsubscribe: (() => void)[] = [];

  private constructor() {}

  /**
   * Starts listening on `qmp` for events `wanted` accepts, for the end of the connection, and for
   * `signal` aborting. Call before the command whose events matter: QEMU may send them before
   * its reply.
   */
  static watch(qmp: QmpClient, wanted: (event: QmpEvent) => boolean, signal?: AbortSignal): QmpWakeup {
    const w = new QmpWakeup();
    const signalIt = (): void => w.#signal();
    w.#unsubscribe.push(
      qmp.on('event', (e) => {
        if (wanted(e)) signalIt();
      }),
      qmp.on('disconnected', signalIt),
    );
    if (signal) {
      signal.addEventListener('abort', signalIt);
      w.#unsubscribe.push(() => signal.removeEventListener('abort', signalIt));
    }
    return w;
  }

  /** Forgets earlier wake-ups; call right before reading the state, so what comes during the read wakes the next wait. */
  clear(): void {
    this.#signalled = false;
  }

  /** Resolves at the next wake-up (at once if one came since `clear`) or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.#signalled) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.#resolve = undefined;
        resolve();
      };
      timer = setTimeout(done, ms);
      this.#resolve = done;
    });
  }

  /** Stops listening. Idempotent. */
  dispose(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#resolve?.();
  }

  #signal(): void {
    this.#signalled = true;
    this.#resolve?.();
  }
}
