/**
 * A running QEMU process of a VM, as herd holds it: its QMP connection, its power status as QEMU
 * reports it, and the promise of its exit. An instance comes from a fresh launch or from
 * reattaching to a QEMU that outlived a daemon restart. herd learns of an exit from the QMP
 * disconnect (never by polling the pid), the way Incus treats an unexpected disconnect as a
 * shutdown, so cleanup runs however QEMU ended.
 */
import { QmpClient } from '../qemu/qmp-client.js';
import { BlockStatsSchema, type BlockStats } from '../qemu/qmp-block-stats.js';
import type { QmpEvent } from '../qemu/qmp-messages.js';
import { processState } from '../host/proc.js';
import { sleep } from '../util/time.js';

/** Why and how a QEMU process ended. */
export interface ExitInfo {
  /** For people: "the guest powered off", "QEMU exited unexpectedly (killed or crashed)". */
  readonly reason: string;
  /** True when nothing asked for it: not herd, not the guest. */
  readonly unexpected: boolean;
}

/** Power status as QEMU reports it. */
export type InstanceStatus = 'running' | 'paused';

/** What an instance tells its owner as it happens. */
export interface InstanceHooks {
  /** Pause or resume, whoever caused it. */
  onStatus(status: InstanceStatus): void;
  /** A guest failure QEMU reported: a kernel panic, the watchdog firing, a disk I/O error. */
  onFailure(kind: 'panic' | 'watchdog' | 'io-error', message: string, data: Record<string, unknown>): void;
}

/** A live QEMU process of one VM. */
export class VmInstance {
  readonly vmId: string;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  #qmp: QmpClient;
  #status: InstanceStatus;
  #shutdown: { guest: boolean; reason: string } | undefined;
  #stopRequest: 'acpi' | 'force' | undefined;
  #hooks: InstanceHooks;
  #panicked = false;
  #watchdog: string | undefined;
  #failure: string | undefined;
  #hold: string | undefined;
  #detached = false;

  private constructor(vmId: string, pid: number, qmp: QmpClient, status: InstanceStatus, hooks: InstanceHooks) {
    this.vmId = vmId;
    this.pid = pid;
    this.#qmp = qmp;
    this.#status = status;
    this.#hooks = hooks;
    this.exited = qmp.disconnected.then(() => this.#exitInfo());
  }

  #onEvent(e: QmpEvent): void {
    if (e.event === 'SHUTDOWN') {
      const data = e.data;
      this.#shutdown = { guest: data?.guest === true, reason: typeof data?.reason === 'string' ? data.reason : 'unknown' };
    } else if (e.event === 'STOP') this.#setStatus('paused');
    else if (e.event === 'RESUME') this.#setStatus('running');
    else if (e.event === 'GUEST_PANICKED') {
      this.#panicked = true;
      this.#hooks.onFailure('panic', 'the guest kernel panicked', e.data ?? {});
    } else if (e.event === 'WATCHDOG') {
      this.#watchdog = typeof e.data?.action === 'string' ? e.data.action : 'unknown';
      if (this.#watchdog === 'pause') this.#hold = 'watchdog';
      this.#hooks.onFailure('watchdog', `the guest stopped petting its watchdog (QEMU action: ${this.#watchdog})`, e.data ?? {});
    } else if (e.event === 'BLOCK_IO_ERROR') {
      const d = e.data ?? {};
      const device = typeof d.device === 'string' && d.device ? d.device : typeof d['node-name'] === 'string' ? d['node-name'] : 'disk';
      const why = d.nospace === true ? 'no space left on the host' : typeof d.reason === 'string' ? d.reason : 'I/O error';
      // Set before QEMU's STOP event is handled, so nothing resumes the VM in between.
      this.#hold = 'io-error';
      this.#hooks.onFailure('io-error', `${String(d.operation ?? 'I/O')} error on ${device}: ${why}`, d);
    }
  }

  /**
   * Connects to the QMP socket of a QEMU that is already running (just launched, or found after
   * a daemon restart) and reads its status. `onStatus` hears pause/resume from then on.
   */
  static async attach(vmId: string, pid: number, qmpSocket: string, hooks: InstanceHooks): Promise<VmInstance> {
    // Events can arrive right after the handshake, before the instance exists (a guest that
    // powers off at once); they are kept and replayed so that no SHUTDOWN reason is lost.
    const early: QmpEvent[] = [];
    let deliver = (e: QmpEvent): void => {
      early.push(e);
    };
    const qmp = await QmpClient.connect(qmpSocket, { timeoutMs: 5_000, onEvent: (e) => deliver(e) });
    try {
      const st = await qmp.queryStatus();
      const inst = new VmInstance(vmId, pid, qmp, st.running ? 'running' : 'paused', hooks);
      deliver = (e) => inst.#onEvent(e);
      for (const e of early) inst.#onEvent(e);
      return inst;
    } catch (e) {
      qmp.close();
      throw e;
    }
  }

  /**
   * Why QEMU paused the VM by itself (an I/O error, a watchdog), until the owner has taken note
   * ({@link clearHold}); while set, the VM must not be resumed automatically.
   */
  get hold(): string | undefined {
    return this.#hold;
  }

  /** The owner has recorded the hold (the VM's desired state is now paused). */
  clearHold(): void {
    this.#hold = undefined;
  }

  /** Paused or running, as QEMU last said. */
  get status(): InstanceStatus {
    return this.#status;
  }

  /** Whether a stop was asked for, and how. */
  get stopRequest(): 'acpi' | 'force' | undefined {
    return this.#stopRequest;
  }

  /** Pauses the vCPUs. */
  async pause(): Promise<void> {
    await this.#qmp.stop();
    this.#setStatus('paused');
  }

  /** Resumes the vCPUs. */
  async resume(): Promise<void> {
    await this.#qmp.cont();
    this.#setStatus('running');
  }

  /**
   * Cumulative I/O counters of the VM's block devices (QMP `query-blockstats`), for the metrics
   * sampler. Short timeout: a busy QEMU just misses one sample. May be called while it runs.
   */
  blockStats(): Promise<BlockStats> {
    return this.#qmp.execute('query-blockstats', undefined, BlockStatsSchema, { timeoutMs: 2_000 });
  }

  /** The QMP connection, for storage work on the running VM (hot-plug, snapshots, block jobs). */
  get qmp(): QmpClient {
    return this.#qmp;
  }

  /** Presses the ACPI power button; the guest decides whether and when to power off. */
  async powerdown(): Promise<void> {
    this.#stopRequest ??= 'acpi';
    await this.#qmp.systemPowerdown();
  }

  /** Ends QEMU at once because the VM failed (e.g. its health check); the exit counts as a failure. */
  async failStop(reason: string): Promise<ExitInfo> {
    this.#failure = reason;
    return this.forceStop();
  }

  /**
   * Ends QEMU at once: QMP `quit`, and SIGKILL if QEMU does not go within a second. Resolves
   * when the process is gone (its QMP connection closed).
   */
  async forceStop(): Promise<ExitInfo> {
    this.#stopRequest = 'force';
    try {
      await this.#qmp.quit();
    } catch {
      // quit fails when QEMU is wedged or already gone; the kill below settles it.
    }
    const gone = await Promise.race([this.exited.then(() => true), sleep(1_000).then(() => false)]);
    if (!gone) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      this.#qmp.close();
    }
    return this.exited;
  }

  /** Closes the QMP connection without touching QEMU (daemon shutdown: VMs keep running). */
  detach(): void {
    this.#detached = true;
    this.#qmp.close();
  }

  /** True when {@link detach} closed the connection (so the disconnect is not an exit). */
  get detached(): boolean {
    return this.#detached;
  }

  #setStatus(s: InstanceStatus): void {
    if (s === this.#status) return;
    this.#status = s;
    this.#hooks.onStatus(s);
  }

  async #exitInfo(): Promise<ExitInfo> {
    const sd = this.#shutdown;
    if (this.#failure) return { reason: this.#failure, unexpected: true };
    if (this.#stopRequest === 'force') return { reason: 'stopped by request (forced)', unexpected: false };
    if (this.#panicked) return { reason: 'the guest kernel panicked', unexpected: true };
    // QEMU's watchdog poweroff action exits without a SHUTDOWN event.
    if (this.#watchdog) return { reason: 'the guest hung: its watchdog fired', unexpected: true };
    if (sd) {
      switch (sd.reason) {
        case 'guest-shutdown':
          return this.#stopRequest === 'acpi'
            ? { reason: 'shut down by request (ACPI)', unexpected: false }
            : { reason: 'the guest powered off', unexpected: false };
        case 'host-qmp-quit':
          return { reason: 'QEMU was told to quit over QMP', unexpected: true };
        case 'host-signal':
          return { reason: 'QEMU was terminated by a signal', unexpected: true };
        case 'guest-panic':
          return { reason: 'the guest kernel panicked', unexpected: true };
        default:
          return { reason: `QEMU shut down (${sd.reason})`, unexpected: !sd.guest };
      }
    }
    // No SHUTDOWN event: QEMU died without a word (SIGKILL, crash, OOM). Wait briefly so the
    // pid is really gone before anyone reuses the runtime files; a zombie counts as gone.
    for (let i = 0; i < 20 && processState(this.pid) === 'alive'; i++) await sleep(25);
    return { reason: 'QEMU exited unexpectedly (killed or crashed)', unexpected: true };
  }
}
