/**
 * A VM's serial console as herd serves it. QEMU itself appends everything the guest prints to
 * the console log file (chardev `logfile=`), whether or not anyone is connected, so the file is
 * the source of truth: it survives daemon restarts and VM reboots. The hub follows that file
 * into subscribers and a ring buffer of recent output, and sends typed input to QEMU through the
 * console socket.
 */
import { closeSync, existsSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { connect, type Socket } from 'node:net';

/** How much recent output a new subscriber gets first. */
export const ringBytes = 64 * 1024;

type Subscriber = (chunk: Buffer) => void;

/** The console of one VM. Create through {@link ConsoleHubs}; `close()` when the VM is deleted. */
export class ConsoleHub {
  readonly #logPath: string;
  readonly #subscribers = new Set<Subscriber>();
  #ring: Buffer = Buffer.alloc(0);
  #offset = 0;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout;
  #input: Socket | undefined;
  #inputPath: string | undefined;
  #closed = false;

  constructor(logPath: string) {
    this.#logPath = logPath;
    this.#prime();
    // inotify wakes us at once; the poll is the safety net for a file created after we started.
    this.#poll = setInterval(() => this.#pump(), 500);
    this.#poll.unref();
    this.#watch();
  }

  /** Recent output (up to {@link ringBytes}), as a new client should see it first. */
  recent(): Buffer {
    this.#pump();
    return this.#ring;
  }

  /** The last `bytes` of the console log (the whole log when it is shorter). */
  tail(bytes: number): Buffer {
    if (!existsSync(this.#logPath)) return Buffer.alloc(0);
    const size = statSync(this.#logPath).size;
    return this.#read(Math.max(0, size - bytes), size);
  }

  /**
   * Sends recent output and then every new chunk to `fn`, with no gap and no repeat between
   * the two. Returns the unsubscribe function.
   */
  subscribe(fn: Subscriber): () => void {
    const history = this.recent();
    if (history.length) fn(history);
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  /** Connects the input side to QEMU's console socket (when the VM starts or is reattached). */
  attachInput(socketPath: string): void {
    this.#inputPath = socketPath;
    this.#connectInput();
  }

  /** Drops the input side (the VM stopped). */
  detachInput(): void {
    this.#inputPath = undefined;
    this.#input?.destroy();
    this.#input = undefined;
  }

  /** Whether typed input can reach the guest now. */
  get inputConnected(): boolean {
    return this.#input !== undefined && !this.#input.connecting && !this.#input.destroyed;
  }

  /** Sends bytes to the guest's serial port; returns false when the VM is not running. */
  write(data: Buffer): boolean {
    if (!this.inputConnected) return false;
    this.#input?.write(data);
    return true;
  }

  /** Stops following the log and closes the input connection. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#poll);
    this.#watcher?.close();
    this.detachInput();
    this.#subscribers.clear();
  }

  #connectInput(): void {
    const path = this.#inputPath;
    if (!path || this.#closed) return;
    this.#input?.destroy();
    const sock = connect(path);
    this.#input = sock;
    // QEMU also sends the output down this socket; it is already in the log file, but it must
    // be read or the guest's UART stalls when the socket buffer fills.
    sock.on('data', () => this.#pump());
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.#input !== sock) return;
      this.#input = undefined;
      // The VM may still be running (QEMU's chardev accepts one client at a time; a reconnect
      // race can drop us): try again while input is wanted.
      if (this.#inputPath === path) setTimeout(() => this.#inputPath === path && !this.#input && this.#connectInput(), 200).unref();
    });
  }

  #watch(): void {
    if (this.#watcher || !existsSync(this.#logPath)) return;
    try {
      this.#watcher = watch(this.#logPath, () => this.#pump());
      this.#watcher.on('error', () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      this.#watcher = undefined;
    }
  }

  /** Fills the ring from the end of the existing log and starts following from there. */
  #prime(): void {
    if (!existsSync(this.#logPath)) return;
    const size = statSync(this.#logPath).size;
    const start = Math.max(0, size - ringBytes);
    this.#ring = this.#read(start, size);
    this.#offset = size;
  }

  #pump(): void {
    if (this.#closed) return;
    if (!this.#watcher) this.#watch();
    if (!existsSync(this.#logPath)) return;
    const size = statSync(this.#logPath).size;
    if (size < this.#offset) this.#offset = 0; // truncated: start over
    if (size === this.#offset) return;
    const chunk = this.#read(this.#offset, size);
    this.#offset += chunk.length;
    this.#ring = Buffer.concat([this.#ring, chunk]);
    if (this.#ring.length > ringBytes) this.#ring = this.#ring.subarray(this.#ring.length - ringBytes);
    for (const s of this.#subscribers) s(chunk);
  }

  #read(from: number, to: number): Buffer {
    const buf = Buffer.alloc(to - from);
    const fd = openSync(this.#logPath, 'r');
    try {
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, from + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }
}

/** The console hubs of all VMs, created on first use. */
export class ConsoleHubs {
  readonly #hubs = new Map<string, ConsoleHub>();
  readonly #logPath: (vmId: string) => string;

  constructor(logPath: (vmId: string) => string) {
    this.#logPath = logPath;
  }

  /** The hub of VM `vmId`. */
  get(vmId: string): ConsoleHub {
    let hub = this.#hubs.get(vmId);
    if (!hub) {
      hub = new ConsoleHub(this.#logPath(vmId));
      this.#hubs.set(vmId, hub);
    }
    return hub;
  }

  /** Closes and forgets the hub of a deleted VM. */
  drop(vmId: string): void {
    this.#hubs.get(vmId)?.close();
    this.#hubs.delete(vmId);
  }

  /** Closes every hub (daemon shutdown). */
  closeAll(): void {
    for (const h of this.#hubs.values()) h.close();
    this.#hubs.clear();
  }
}
