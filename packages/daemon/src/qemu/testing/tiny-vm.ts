/**
 * For integration tests: the tiny guest started through `launchQemu` (128 MiB, one vCPU, TCG,
 * its data disk as the root disk, mounted at /data in the guest), with a QMP client and a client
 * on its serial console. The fixture kills every QEMU it started in `cleanup()`.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processState } from '../../host/proc.js';
import { buildTinyImage } from '../../images/tiny/build-tiny-image.js';
import type { TinyImageFiles } from '../../images/tiny/build-tiny-image.js';
import { GUEST_READY_LINE } from '../../images/tiny/guest-init-script.js';
import { createOverlay } from '../../storage/qemu-img.js';
import { launchQemu } from '../launch.js';
import type { LaunchSpec } from '../launch-spec.js';
import { consoleSocketPath, qmpSocketPath } from '../launch-spec.js';
import { QmpClient } from '../qmp-client.js';

const MiB = 1024 * 1024;

/** Builds the tiny image once into a temporary directory and launches VMs from it. */
export class TinyVmFixture {
  readonly #vms = new Set<TinyVm>();

  private constructor(
    /** Temporary directory holding the image, the disks and the VMs' runtime directories. */
    readonly root: string,
    readonly image: TinyImageFiles,
  ) {}

  /** Makes a temporary directory named from `prefix` and builds the tiny image in it (a few seconds). */
  static async create(prefix: string): Promise<TinyVmFixture> {
    const root = await mkdtemp(join(tmpdir(), prefix));
    return new TinyVmFixture(root, await buildTinyImage(join(root, 'image')));
  }

  /** Creates a qcow2 overlay of the image's data disk at `root/name`, to be a VM's root disk. */
  async newDisk(name: string): Promise<string> {
    const path = join(this.root, name);
    await createOverlay(path, this.image.disk, 'qcow2', 64 * MiB);
    return path;
  }

  /**
   * Starts QEMU for the VM `name` (its runtime directory is `root/name`) with `disk` as disk
   * `root`; `paused` starts it with -S, `incoming` as the destination of a live migration.
   */
  async launch(name: string, disk: string, options: { readonly paused?: boolean; readonly incoming?: boolean } = {}): Promise<TinyVm> {
    const runDir = join(this.root, name);
    const spec: LaunchSpec = {
      uuid: randomUUID(),
      name,
      accel: 'tcg',
      cpus: 1,
      memoryMiB: 128,
      runDir,
      consoleLog: join(runDir, 'console.log'),
      // The image's command line already has no_timer_check, without which a starved TCG guest can panic.
      boot: { kind: 'kernel', kernel: this.image.kernel, initrd: this.image.initrd, cmdline: this.image.cmdline },
      disks: [{ id: 'root', path: disk, format: 'qcow2' }],
      startPaused: options.paused ?? false,
      ...(options.incoming ? { incoming: true as const } : {}),
    };
    const { pid } = await launchQemu(spec);
    const vm = new TinyVm(pid);
    this.#vms.add(vm);
    // Connected at once: the ready line comes seconds later, and nothing earlier is needed.
    vm.console = await SerialConsole.connect(consoleSocketPath(runDir));
    vm.qmp = await QmpClient.connect(qmpSocketPath(runDir), { timeoutMs: 10_000 });
    return vm;
  }

  /** Kills every QEMU this fixture started and removes the temporary directory. */
  async cleanup(): Promise<void> {
    for (const vm of this.#vms) await vm.kill();
    await rm(this.root, { recursive: true, force: true });
  }
}

/** One running QEMU of the fixture. */
export class TinyVm {
  qmp!: QmpClient;
  console!: SerialConsole;

  constructor(readonly pid: number) {}

  /** Waits for the guest's ready line and first shell prompt (a boot takes ~3 s under TCG, more on a busy host). */
  async ready(timeoutMs = 90_000): Promise<void> {
    await this.console.waitFor(new RegExp(`^${GUEST_READY_LINE}\\r?$`, 'm'), timeoutMs);
    await this.console.waitFor(/# /, timeoutMs);
  }

  /** QMP `quit` (QEMU closes its images cleanly), then waits until the process has exited. */
  async quit(): Promise<void> {
    await this.qmp.quit();
    await this.qmp.disconnected;
    await this.#exited();
  }

  /** Kills QEMU with SIGKILL, as a crash would, and waits until it has exited. Harmless if it has. */
  async kill(): Promise<void> {
    this.qmp?.close();
    this.console?.close();
    if (processState(this.pid) === 'alive') process.kill(this.pid, 'SIGKILL');
    await this.#exited();
  }

  async #exited(): Promise<void> {
    // An exited QEMU may stay a zombie until init reaps it; processState counts that as exited.
    // After SIGKILL the main thread can be a zombie while other threads still hold the images
    // (and their locks) open, so the other threads must be gone too.
    const until = Date.now() + 10_000;
    while (processState(this.pid) === 'alive' || threadsLeft(this.pid) > 0) {
      if (Date.now() > until) throw new Error(`QEMU ${this.pid} did not exit`);
      await new Promise((r) => setTimeout(r, 20));
    }
    this.console?.close();
  }
}

/** Threads of `pid` other than a zombie main thread that have not exited yet. */
function threadsLeft(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).filter((tid) => {
      try {
        return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

/** A client on a guest's serial console socket that can wait for output and run shell commands. */
export class SerialConsole {
  readonly #socket: Socket;
  readonly #waiters = new Set<() => void>();
  #output = '';
  #cursor = 0;
  #commands = 0;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#output += chunk;
      for (const wake of this.#waiters) wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      for (const wake of this.#waiters) wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects to the console socket at `path`. */
  static connect(path: string): Promise<SerialConsole> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path });
      socket.once('connect', () => resolve(new SerialConsole(socket)));
      socket.once('error', reject);
    });
  }

  /** Waits until `pattern` appears after the previous match and moves past it; fails with the transcript. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      re.lastIndex = this.#cursor;
      const m = re.exec(this.#output);
      if (m) {
        this.#cursor = m.index + m[0].length;
        return m;
      }
      const left = deadline - Date.now();
      if (this.#closed || left <= 0) {
        throw new Error(`${this.#closed ? 'console closed' : 'timed out'} waiting for ${pattern}; console:\n${this.#output.slice(-3000)}`);
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  /** Types one line into the console. */
  type(line: string): void {
    this.#socket.write(`${line}\n`);
  }

  /**
   * Runs `command` in the guest's shell and resolves with its output. The output is framed by
   * markers that the shell computes (`$((n))`), so the echo of the typed line never matches them.
   */
  async run(command: string, timeoutMs = 30_000): Promise<string> {
    const n = ++this.#commands;
    // A command put in the background already ends in its separator: "&;" is a syntax error.
    const body = command.trimEnd().endsWith('&') ? command : `${command};`;
    this.type(`echo "<S$((${n}))>"; ${body} echo "<E$((${n}))>"`);
    await this.waitFor(new RegExp(`<S${n}>\\r?\\n`), timeoutMs);
    const from = this.#cursor;
    const end = await this.waitFor(new RegExp(`<E${n}>`), timeoutMs);
    return this.#output.slice(from, end.index).replaceAll('\r', '');
  }

  /** Closes the connection (the guest is not affected). */
  close(): void {
    this.#socket.destroy();
  }
}
