/**
 * A typed QMP client over QEMU's unix control socket: one connection, commands matched to replies
 * by id, a timeout per command, events delivered to listeners, and an explicit notification when
 * the connection ends (an unexpected end means QEMU has gone, and is treated by callers as a
 * shutdown so that cleanup still runs).
 *
 * QEMU serves one QMP client per socket at a time: a second connection is accepted by the kernel
 * but gets no greeting until the first closes, so `connect` then fails with a timeout.
 */
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  QmpCommandError,
  QmpConnectError,
  QmpDisconnectedError,
  QmpProtocolError,
  QmpTimeoutError,
} from './qmp-errors.js';
import type { QmpDisconnect } from './qmp-errors.js';
import { LineSplitter } from './qmp-framing.js';
import {
  EmptyReturnSchema,
  QmpErrorReplySchema,
  QmpEventSchema,
  QmpGreetingSchema,
  QmpReturnSchema,
  StatusInfoSchema,
} from './qmp-messages.js';
import type { JsonObject, QmpEvent, QmpGreeting, StatusInfo } from './qmp-messages.js';

/** Default time a command may take before it is rejected with {@link QmpTimeoutError}. */
export const DEFAULT_QMP_TIMEOUT_MS = 5_000;

/** Options for {@link QmpClient.connect}. */
export interface QmpConnectOptions {
  /** Budget for connecting, the greeting and capability negotiation together. Default 5 s. */
  readonly timeoutMs?: number;
  /** Registered before the handshake, so no event sent right after negotiation can be missed. */
  readonly onEvent?: (event: QmpEvent) => void;
}

/** Options for one command. */
export interface QmpCommandOptions {
  /** Default {@link DEFAULT_QMP_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** One QMP connection to one QEMU process. Create with {@link QmpClient.connect}. */
export class QmpClient {
  /** Settles (never rejects) once the connection has ended, saying why. */
  readonly disconnected: Promise<QmpDisconnect>;

  readonly #socket: Socket;
  readonly #lines = new LineSplitter();
  readonly #pending = new Map<number, Pending>();
  readonly #eventListeners = new Set<(e: QmpEvent) => void>();
  readonly #disconnectListeners = new Set<(d: QmpDisconnect) => void>();
  #resolveDisconnected!: (d: QmpDisconnect) => void;
  #nextId = 1;
  #greeting: QmpGreeting | undefined;
  #onGreeting: ((g: QmpGreeting) => void) | undefined;
  #closedByUs = false;
  #error: Error | undefined;
  #ended: QmpDisconnect | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.disconnected = new Promise((resolve) => (this.#resolveDisconnected = resolve));
    socket.setEncoding('utf8'); // the decoder keeps multi-byte characters split across reads intact
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (e) => (this.#error ??= e));
    socket.on('close', () => this.#onClose());
  }

  /**
   * Connects to the QMP socket at `path`, reads the greeting and leaves negotiation mode
   * (`qmp_capabilities`). Rejects with {@link QmpConnectError} if the socket cannot be reached or
   * the handshake does not finish within `timeoutMs`. May be called at any time; each call makes
   * a new connection.
   */
  static async connect(path: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_QMP_TIMEOUT_MS;
    const client = new QmpClient(createConnection({ path }));
    if (options.onEvent) client.on('event', options.onEvent);
    const started = Date.now();
    try {
      await client.#awaitGreeting(timeoutMs);
      const left = Math.max(1, timeoutMs - (Date.now() - started));
      await client.execute('qmp_capabilities', undefined, EmptyReturnSchema, { timeoutMs: left });
      return client;
    } catch (e) {
      client.close();
      const cause = e instanceof QmpDisconnectedError && e.disconnect.reason === 'error' ? e.disconnect.error : e;
      throw new QmpConnectError(path, cause instanceof Error ? cause : new Error(String(cause)));
    }
  }

  /** The greeting QEMU sent (its version and capabilities). Available once `connect` resolved. */
  get greeting(): QmpGreeting {
    if (!this.#greeting) throw new Error('QMP greeting not received yet');
    return this.#greeting;
  }

  /** True until the connection has ended. */
  get connected(): boolean {
    return this.#ended === undefined;
  }

  /**
   * Sends `command` with `args` and resolves with its return value checked against `returns`.
   * Rejects with {@link QmpCommandError} if QEMU refuses it, {@link QmpTimeoutError} after the
   * timeout (the connection stays usable; a late reply is dropped), {@link QmpDisconnectedError} if
   * the connection ends first or has ended, and {@link QmpProtocolError} if the return value does
   * not match `returns`. Commands may be issued concurrently; QEMU runs them in order.
   */
  execute<S extends TSchema>(
    command: string,
    args: JsonObject | undefined,
    returns: S,
    options: QmpCommandOptions = {},
  ): Promise<Static<S>> {
    if (this.#ended) return Promise.reject(new QmpDisconnectedError(command, this.#ended));
    const id = this.#nextId++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_QMP_TIMEOUT_MS;
    return new Promise<Static<S>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new QmpTimeoutError(command, timeoutMs));
      }, timeoutMs);
      this.#pending.set(id, {
        command,
        timer,
        reject,
        resolve: (value) =>
          Value.Check(returns, value)
            ? resolve(value)
            : reject(new QmpProtocolError(`unexpected return value for ${command}: ${JSON.stringify(value)}`)),
      });
      // A socket destroyed but not yet closed cannot be written to; the pending entry is then
      // rejected by #onClose with the real reason.
      if (!this.#socket.destroyed) {
        this.#socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
      }
    });
  }

  /**
   * Subscribes to QMP events, or to the end of the connection (called once, with the reason).
   * Returns a function that unsubscribes. Events are delivered only to listeners registered when
   * they arrive. A listener that throws does not disturb the connection; its exception is
   * rethrown asynchronously (an uncaught exception, as a bug should be). May be called at any time.
   */
  on(type: 'event', listener: (event: QmpEvent) => void): () => void;
  on(type: 'disconnected', listener: (disconnect: QmpDisconnect) => void): () => void;
  on(type: 'event' | 'disconnected', listener: ((e: QmpEvent) => void) | ((d: QmpDisconnect) => void)): () => void {
    // The overload signatures above guarantee the listener matches `type`.
    const set = (type === 'event' ? this.#eventListeners : this.#disconnectListeners) as Set<typeof listener>;
    set.add(listener);
    return () => void set.delete(listener);
  }

  /**
   * Closes the connection (QEMU keeps running). Pending commands reject with
   * {@link QmpDisconnectedError}; `disconnected` settles with `closed-by-client` unless the
   * connection had already ended. Idempotent.
   */
  close(): void {
    if (this.#ended) return;
    this.#closedByUs = true;
    this.#socket.destroy();
  }

  /** `query-status`: the VM's run state (`running`, `paused`, `prelaunch`, ...). */
  queryStatus(options?: QmpCommandOptions): Promise<StatusInfo> {
    return this.execute('query-status', undefined, StatusInfoSchema, options);
  }

  /** `cont`: starts or resumes the vCPUs (after `-S` or `stop`). */
  async cont(options?: QmpCommandOptions): Promise<void> {
    await this.execute('cont', undefined, EmptyReturnSchema, options);
  }

  /** `stop`: pauses the vCPUs. */
  async stop(options?: QmpCommandOptions): Promise<void> {
    await this.execute('stop', undefined, EmptyReturnSchema, options);
  }

  /** `system_powerdown`: presses the ACPI power button; the guest decides whether to shut down. */
  async systemPowerdown(options?: QmpCommandOptions): Promise<void> {
    await this.execute('system_powerdown', undefined, EmptyReturnSchema, options);
  }

  /** `system_reset`: hard-resets the machine, like the reset button. */
  async systemReset(options?: QmpCommandOptions): Promise<void> {
    await this.execute('system_reset', undefined, EmptyReturnSchema, options);
  }

  /**
   * `quit`: makes QEMU exit at once (no guest shutdown). Resolves on QEMU's reply or, since QEMU
   * may exit before the reply is read, on the connection closing; await `disconnected` to know it
   * has gone.
   */
  async quit(options?: QmpCommandOptions): Promise<void> {
    try {
      await this.execute('quit', undefined, EmptyReturnSchema, options);
    } catch (e) {
      if (!(e instanceof QmpDisconnectedError && e.disconnect.reason === 'closed-by-peer')) throw e;
    }
  }

  #awaitGreeting(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new QmpTimeoutError('(greeting)', timeoutMs)), timeoutMs);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.#onGreeting = undefined;
        unsubscribe();
        if (err) reject(err);
        else resolve();
      };
      this.#onGreeting = () => done();
      const unsubscribe = this.on('disconnected', (d) => done(new QmpDisconnectedError('(greeting)', d)));
    });
  }

  #onData(chunk: string): void {
    try {
      for (const line of this.#lines.push(chunk)) {
        this.#dispatch(line);
        if (this.#ended || this.#socket.destroyed) return;
      }
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  #dispatch(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      throw new QmpProtocolError(`not JSON: ${line.slice(0, 200)}`);
    }
    if (Value.Check(QmpEventSchema, msg)) {
      // JSON.parse output: the values are JSON by construction.
      const event: QmpEvent = { event: msg.event, data: (msg.data ?? {}) as JsonObject, timestamp: msg.timestamp };
      notify(this.#eventListeners, event);
    } else if (Value.Check(QmpReturnSchema, msg)) {
      this.#settle(msg.id, (p) => p.resolve(msg.return));
    } else if (Value.Check(QmpErrorReplySchema, msg)) {
      this.#settle(msg.id, (p) => p.reject(new QmpCommandError(p.command, msg.error.class, msg.error.desc)));
    } else if (Value.Check(QmpGreetingSchema, msg) && !this.#greeting) {
      this.#greeting = msg;
      this.#onGreeting?.(msg);
    } else {
      throw new QmpProtocolError(`unexpected message: ${line.slice(0, 200)}`);
    }
  }

  #settle(id: number | undefined, action: (p: Pending) => void): void {
    // QEMU omits the id only when it could not parse the request, which herd never sends; such a
    // reply answers the oldest command, since QMP (without OOB) replies in order.
    const key = id ?? this.#pending.keys().next().value;
    const pending = key === undefined ? undefined : this.#pending.get(key);
    if (key === undefined || !pending) return; // the reply to a command that already timed out
    this.#pending.delete(key);
    clearTimeout(pending.timer);
    action(pending);
  }

  #fail(error: Error): void {
    this.#error ??= error;
    this.#socket.destroy();
  }

  #onClose(): void {
    const peerGone = (e: Error): boolean => 'code' in e && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
    const d: QmpDisconnect = this.#closedByUs
      ? { reason: 'closed-by-client' }
      : this.#error && !peerGone(this.#error)
        ? { reason: 'error', error: this.#error }
        : { reason: 'closed-by-peer' };
    this.#ended = d;
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new QmpDisconnectedError(p.command, d));
    }
    this.#pending.clear();
    this.#resolveDisconnected(d);
    notify(this.#disconnectListeners, d);
  }
}

function notify<T>(listeners: ReadonlySet<(value: T) => void>, value: T): void {
  for (const listener of [...listeners]) {
    try {
      listener(value);
    } catch (e) {
      process.nextTick(() => {
        throw e;
      });
    }
  }
}
