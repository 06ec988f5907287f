/**
 * The VM reconciler of this host: makes each VM's QEMU process match its desired state. It is
 * level-triggered: a pass reads the desired spec and the observed world (the in-memory instance,
 * or a QEMU found through its pidfile after a daemon restart), takes one step, and says whether
 * to come back. It can run any number of times, after any crash.
 */
import { rm } from 'node:fs/promises';
import { HerdError } from '@herd/api';
import type { Logger } from 'pino';
import { shareReadOnly } from '../confine/own-for-vm.js';
import type { RunUids } from '../confine/run-uids.js';
import { ownerOf } from '../confine/vm-owner.js';
import type { ConsoleHubs } from '../console/console-hub.js';
import { isQemuOf, killQemuOf, readPidfile } from '../host/proc.js';
import type { ImageRepo } from '../images/image-repo.js';
import type { DataPaths } from '../paths.js';
import { launchQemu } from '../qemu/launch.js';
import { consoleSocketPath, pidfilePath, qmpSocketPath, type DiskSpec, type LaunchSpec } from '../qemu/launch-spec.js';
import type { VmRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { launchSpecFor } from '../vm/launch-spec-for.js';
import { resolveAccel, type HostAccel } from '../vm/resolve-accel.js';
import { VmInstance, type ExitInfo, type InstanceHooks } from '../vm/vm-instance.js';
import { recentRestarts } from '../vm/to-api-vm.js';
import type { HealthMonitor } from '../health/health-monitor.js';
import { decideRestart } from './restart-policy.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { VolumeService } from '../volumes/volume-service.js';
import type { SnapshotRepo } from '../snapshots/snapshot-repo.js';
import type { NicService } from '../networks/nic-service.js';
import { listDisks, hotplugDisk, unplugDisk } from '../qemu/qmp-block.js';
import { loadVmState } from '../qemu/qmp-snapshot.js';
import { again, done, type ReconcileResult } from './work-queue.js';

/** What the reconciler needs. */
export interface VmReconcilerDeps {
  readonly vms: VmRepo;
  readonly images: ImageRepo;
  readonly volumes: VolumeService;
  readonly snapshots: SnapshotRepo;
  readonly nics: NicService;
  readonly paths: DataPaths;
  readonly consoles: ConsoleHubs;
  readonly accel: HostAccel;
  readonly log: Logger;
  /** The users VMs' QEMUs run as. */
  readonly runUids: RunUids;
  /** Asks for another pass over a VM (the work queue's `add`). */
  readonly wake: (vmId: string) => void;
  /** Set once the health monitor exists (it needs the reconciler to end failed VMs). */
  health?: HealthMonitor;
  /** This host's name: only VMs whose `host` it is are run here. */
  readonly hostName: string;
}

const liveStates = new Set(['starting', 'running', 'paused', 'stopping']);

/** Reconciles VMs of this host; one pass per call, never two at once for one VM (the queue sees to that). */
export class VmReconciler {
  readonly #d: VmReconcilerDeps;
  readonly #instances = new Map<string, VmInstance>();
  #fenced = false;

  constructor(deps: VmReconcilerDeps) {
    this.#d = deps;
  }

  /**
   * While fenced (this host could not renew its lease, so the leader may restart its VMs
   * elsewhere and the fence guard kills them here), nothing is started or changed; passes come
   * back until the lease is renewed and the database says again what is this host's.
   */
  setFenced(fenced: boolean): void {
    this.#fenced = fenced;
  }

  /**
   * Lets go of a VM's instance without stopping it or recording anything: a live migration
   * hands the VM to another host and ends this QEMU itself.
   */
  release(vmId: string): VmInstance | undefined {
    const inst = this.#instances.get(vmId);
    if (!inst) return undefined;
    this.#instances.delete(vmId);
    inst.detach();
    this.#d.consoles.get(vmId).detachInput();
    this.#d.health?.unwatch(vmId);
    return inst;
  }

  /** The live instance of a VM, if it runs here. */
  instance(vmId: string): VmInstance | undefined {
    return this.#instances.get(vmId);
  }

  /** Closes QMP connections without stopping any VM (daemon shutdown: VMs outlive the daemon). */
  detachAll(): void {
    for (const inst of this.#instances.values()) inst.detach();
    this.#instances.clear();
  }

  /** One reconcile pass for VM `id`. */
  async reconcile(id: string): Promise<ReconcileResult> {
    let row = await this.#d.vms.get(id);
    if (!row) return done;
    if (this.#fenced) return again(1000);
    if (row.host !== this.#d.hostName) return this.#notMine(row);
    // A live migration out of here holds the VM's lock while it runs; what is left is its to finish.
    if (row.migrating_to) return done;
    let inst = this.#instances.get(id);
    if (!inst) {
      inst = await this.#reattach(row);
      // Finding the QEMU gone changes the record (stopped, and stays stopped): read it again.
      row = await this.#d.vms.get(id);
      if (!row) return done;
    }
    if (row.deleting) return this.#delete(row, inst);

    const restartPending = row.restart_generation > row.boot_generation;
    const want = restartPending && inst ? 'stopped' : row.desired_state;

    if (!inst) {
      if (want === 'stopped') {
        if (liveStates.has(row.state)) await this.#d.vms.setStatus(id, { state: 'stopped', pid: null, stop_deadline: null, next_restart_at: null });
        return done;
      }
      // A restart by the policy waits out its backoff.
      const due = row.next_restart_at ? Date.parse(row.next_restart_at) - Date.now() : 0;
      if (due > 0) return again(due);
      return this.#start(row, want === 'paused');
    }

    this.#d.health?.watch(row);
    if (want === 'stopped') return this.#stop(row, inst);
    if (want === 'paused' && inst.hold) inst.clearHold();
    if (want === 'paused' && inst.status === 'running') await inst.pause();
    // Paused by QEMU itself (I/O error, watchdog): the failure handler records that and wakes us.
    if (want === 'running' && inst.status === 'paused' && inst.hold) return done;
    if (want === 'running' && inst.status === 'paused') await inst.resume();
    const observed = inst.status;
    if (row.state !== observed) await this.#d.vms.setStatus(id, { state: observed, stop_deadline: null });
    return done;
  }

  async #start(row: VmRow, paused: boolean): Promise<ReconcileResult> {
    const { vms, paths, log } = this.#d;
    await vms.setStatus(row.id, { state: 'starting', last_error: null, reason: null });
    let pid: number | undefined;
    try {
      // A revert to a snapshot with memory starts QEMU paused and loads the saved state into it.
      const resume = row.resume_snapshot;
      const { spec, accel, disks } = await this.#launchSpec(row, paused || resume !== null);
      const launched = await launchQemu(spec);
      pid = launched.pid;
      const inst = await VmInstance.attach(row.id, launched.pid, qmpSocketPath(spec.runDir), this.#hooks(row.id));
      this.#adopt(inst);
      if (resume !== null) {
        await loadVmState(inst.qmp, { jobId: 'resume', tag: resume, vmstateDisk: 'root', disks: disks.map((d) => d.id), timeoutMs: 30 * 60_000 });
        await vms.setResume(row.id, null);
        if (!paused) await inst.resume();
      }
      const byPolicy = row.next_restart_at !== null;
      const started = await vms.setStatus(row.id, {
        state: inst.status,
        pid: launched.pid,
        accel,
        started_at: nowIso(),
        reason: byPolicy ? `restarted by its ${row.restart_policy} policy after: ${row.reason ?? 'a failure'}` : row.restart_generation > row.boot_generation ? 'restarted' : 'started',
        boot_generation: row.restart_generation,
        next_restart_at: null,
        health: row.health_check ? 'starting' : 'none',
      });
      if (byPolicy) await vms.note(row, 'vm.restarted', `VM ${row.name} restarted by its ${row.restart_policy} restart policy`, { pid: launched.pid });
      if (started) this.#d.health?.watch(started);
      log.info({ vm: row.name, vmId: row.id, pid: launched.pid, accel, byPolicy }, 'VM started');
      return done;
    } catch (e) {
      // A start that failed leaves nothing running: kill what was launched, drop its runtime files.
      killQemuOf(pid, row.id);
      await rm(paths.runDir(row.id), { recursive: true, force: true });
      await this.#d.nics.afterStop(row.id).catch(() => undefined);
      // Saved memory that failed to load is not tried again: the next start boots the reverted disks.
      if (row.resume_snapshot !== null) await vms.setResume(row.id, null);
      const message = e instanceof Error ? e.message : String(e);
      log.warn({ vm: row.name, vmId: row.id, err: message }, 'VM failed to start');
      // Terminal: the VM goes to `error` with the reason, and stays there until the user acts
      // (start again, stop, or delete); no restart policy applies to a VM that cannot start.
      await vms.setIntent(row.id, { desired_state: 'stopped', restart_generation: row.boot_generation });
      await vms.setStatus(row.id, { state: 'error', pid: null, last_error: message, reason: 'failed to start', next_restart_at: null });
      return done;
    }
  }

  /**
   * Everything a QEMU for `row` needs on this host, made ready (disks and kernel handed to the
   * VM's user, taps up), and its launch spec. `accel` overrides the VM's preference (a
   * migration's destination must run the guest the way its source does).
   */
  async #launchSpec(row: VmRow, paused: boolean, accelOverride?: 'kvm' | 'tcg'): Promise<{ spec: LaunchSpec; accel: 'kvm' | 'tcg'; disks: DiskSpec[] }> {
    const { images, paths } = this.#d;
    const image = await images.get(row.image_id);
    if (!image) throw new HerdError('image_unusable', { name: row.image_id, reason: 'the image no longer exists' });
    const accel = resolveAccel(accelOverride ?? row.accel_pref, this.#d.accel);
    await this.#d.volumes.adoptRoot(row);
    const disks = await this.#d.volumes.diskSpecs(row.id);
    const cdrom = row.cdrom_image_id ? await images.get(row.cdrom_image_id) : undefined;
    if (row.cdrom_image_id && !cdrom) throw new HerdError('image_unusable', { name: row.cdrom_image_id, reason: 'the cdrom image no longer exists' });
    // QEMU runs as the VM's own user (a confining daemon): everything it opens is handed over first.
    const owner = await this.#d.runUids.ownerFor(row.id);
    await this.#d.volumes.handOver(row.id, owner);
    if (owner) for (const f of [image.kernel_path, image.initrd_path, cdrom?.disk_path]) if (f) await shareReadOnly(f);
    const nics = await this.#d.nics.prepareStart(row.id, owner);
    const spec: LaunchSpec = { ...launchSpecFor(row, image, paths, accel, paused, disks, cdrom?.disk_path), nics, ...(owner ? { runAs: owner } : {}) };
    return { spec, accel, disks };
  }

  /**
   * Launches `row`'s QEMU here as the destination of a live migration: paused, waiting for the
   * incoming stream, not adopted (the migration drives it until the VM's host is this one; then
   * a pass reattaches to it through its pidfile). Leaves nothing behind if it fails.
   */
  async launchIncoming(row: VmRow, accel: 'kvm' | 'tcg'): Promise<{ pid: number; qmpSocket: string }> {
    let pid: number | undefined;
    try {
      const { spec } = await this.#launchSpec(row, true, accel);
      const launched = await launchQemu({ ...spec, incoming: true });
      pid = launched.pid;
      return { pid, qmpSocket: qmpSocketPath(spec.runDir) };
    } catch (e) {
      await this.discardIncoming(row.id, pid);
      throw e;
    }
  }

  /** Ends an incoming QEMU launched by {@link launchIncoming} and removes its runtime files and taps. */
  async discardIncoming(vmId: string, pid = readPidfile(pidfilePath(this.#d.paths.runDir(vmId)))): Promise<void> {
    if (this.#instances.has(vmId)) return;
    killQemuOf(pid, vmId);
    await rm(this.#d.paths.runDir(vmId), { recursive: true, force: true });
    await this.#d.nics.afterStop(vmId).catch(() => undefined);
  }

  async #stop(row: VmRow, inst: VmInstance): Promise<ReconcileResult> {
    if (row.stop_timeout_s === 0 || inst.status === 'paused') {
      await inst.forceStop();
      return done;
    }
    const now = Date.now();
    const deadline = row.state === 'stopping' && row.stop_deadline ? Date.parse(row.stop_deadline) : undefined;
    if (deadline === undefined || inst.stopRequest === undefined) {
      await inst.powerdown();
      const until = deadline ?? now + row.stop_timeout_s * 1000;
      await this.#d.vms.setStatus(row.id, { state: 'stopping', stop_deadline: new Date(until).toISOString() });
      return again(Math.max(0, until - now));
    }
    if (now >= deadline) {
      this.#d.log.info({ vm: row.name, vmId: row.id }, 'guest did not shut down in time; forcing');
      await inst.forceStop();
      return done;
    }
    return again(deadline - now);
  }

  async #delete(row: VmRow, inst: VmInstance | undefined): Promise<ReconcileResult> {
    const { vms, paths, consoles, log } = this.#d;
    if (inst) await inst.forceStop();
    this.#d.health?.unwatch(row.id);
    this.#instances.delete(row.id);
    consoles.drop(row.id);
    await rm(paths.runDir(row.id), { recursive: true, force: true });
    await this.#d.volumes.releaseVm(row.id);
    await this.#d.nics.releaseVm(row.id);
    await this.#d.snapshots.removeAll(row.id);
    await rm(paths.consoleLog(row.id), { force: true });
    await vms.remove(row.id);
    log.info({ vm: row.name, vmId: row.id }, 'VM deleted');
    return done;
  }

  /**
   * Finds a QEMU of this VM that herd is not holding (after a daemon restart) through its
   * pidfile, checks /proc/PID/cmdline carries the VM's uuid, and attaches to it.
   */
  /**
   * A VM of another host. An incoming live migration is left to the migration; any other copy
   * running here (a QEMU of a fenced host that came back, or the paused source of a finished
   * migration) must not run, and goes.
   */
  async #notMine(row: VmRow): Promise<ReconcileResult> {
    if (row.migrating_to === this.#d.hostName) return done;
    const runDir = this.#d.paths.runDir(row.id);
    const inst = this.release(row.id);
    const pid = inst?.pid ?? readPidfile(pidfilePath(runDir));
    const running = killQemuOf(pid, row.id);
    if (running) this.#d.log.warn({ vm: row.name, vmId: row.id, pid, owner: row.host }, 'VM belongs to another host: stopped the copy here');
    if (running || inst) {
      await rm(runDir, { recursive: true, force: true });
      await this.#d.nics.afterStop(row.id).catch(() => undefined);
    }
    return done;
  }

  async #reattach(row: VmRow): Promise<VmInstance | undefined> {
    const runDir = this.#d.paths.runDir(row.id);
    const pid = readPidfile(pidfilePath(runDir));
    if (pid === undefined || !isQemuOf(pid, row.id)) {
      // A VM waiting out its restart backoff has no QEMU on purpose.
      const waitingToRestart = row.state === 'starting' && row.next_restart_at !== null;
      if (liveStates.has(row.state) && !waitingToRestart) {
        await rm(runDir, { recursive: true, force: true });
        await this.#d.nics.afterStop(row.id).catch(() => undefined);
        // Why it ended is unknown; for the restart policy that is a failure.
        await this.#afterExit(row, { reason: 'QEMU exited while the daemon was not running', unexpected: true });
      }
      return undefined;
    }
    try {
      const inst = await VmInstance.attach(row.id, pid, qmpSocketPath(runDir), this.#hooks(row.id));
      this.#adopt(inst);
      this.#d.log.info({ vm: row.name, vmId: row.id, pid }, 'reattached to running VM');
      await this.#syncDisks(row, inst);
      if (row.pid !== pid || !liveStates.has(row.state))
        await this.#d.vms.setStatus(row.id, { state: inst.status, pid, started_at: row.started_at ?? nowIso() });
      return inst;
    } catch (e) {
      this.#d.log.warn({ vm: row.name, vmId: row.id, pid, err: String(e) }, 'cannot attach to QMP of running VM');
      throw e;
    }
  }

  #adopt(inst: VmInstance): void {
    this.#instances.set(inst.vmId, inst);
    this.#d.consoles.get(inst.vmId).attachInput(consoleSocketPath(this.#d.paths.runDir(inst.vmId)));
    void inst.exited.then(async (info) => {
      if (inst.detached || this.#instances.get(inst.vmId) !== inst) return;
      this.#instances.delete(inst.vmId);
      this.#d.consoles.get(inst.vmId).detachInput();
      this.#d.health?.unwatch(inst.vmId);
      await rm(this.#d.paths.runDir(inst.vmId), { recursive: true, force: true });
      await this.#d.nics.afterStop(inst.vmId).catch((e: unknown) => this.#d.log.warn({ vmId: inst.vmId, err: String(e) }, 'cannot remove the taps of a stopped VM'));
      const row = await this.#d.vms.get(inst.vmId);
      // A VM that moved to another host meanwhile (HA after a fence) is that host's to record.
      if (row && row.host === this.#d.hostName) {
        this.#d.log[info.unexpected ? 'warn' : 'info']({ vm: row.name, vmId: row.id, pid: inst.pid, reason: info.reason }, 'VM stopped');
        await this.#afterExit(row, info);
      }
      this.#d.wake(inst.vmId);
    });
  }

  /** Records an exit and applies the restart policy: stay stopped, restart after a backoff, or give up. */
  async #afterExit(row: VmRow, info: ExitInfo): Promise<void> {
    const { vms } = this.#d;
    const recent = recentRestarts(row);
    const decision = decideRestart(row, info.unexpected, recent);
    const stopped = { state: 'stopped' as const, pid: null, stop_deadline: null, health: 'none' as const };
    switch (decision.kind) {
      case 'stay-stopped':
        // A VM that stopped by itself stays stopped: its desired state follows, so the
        // reconciler does not start it again.
        if (!row.deleting && row.restart_generation <= row.boot_generation && row.desired_state !== 'stopped')
          await vms.setIntent(row.id, { desired_state: 'stopped' });
        await vms.setStatus(row.id, { ...stopped, reason: info.reason, next_restart_at: null });
        return;
      case 'give-up': {
        const why = `restarted ${decision.restarts} times within ${row.restart_window_s} s and failed again; the ${row.restart_policy} policy gave up (last failure: ${info.reason})`;
        await vms.setIntent(row.id, { desired_state: 'stopped' });
        await vms.setStatus(row.id, { ...stopped, state: 'error', reason: info.reason, last_error: why, next_restart_at: null });
        await vms.note(row, 'vm.restart_gave_up', `VM ${row.name}: ${why}`, { reason: info.reason, restarts: decision.restarts });
        return;
      }
      case 'restart': {
        const at = Date.now() + decision.delayMs;
        // `starting` while the backoff runs: the VM is on its way up, and can be stopped (which
        // cancels the restart) or deleted, as any starting VM can.
        await vms.setStatus(row.id, {
          ...stopped,
          state: 'starting',
          reason: info.reason,
          next_restart_at: new Date(at).toISOString(),
          restart_times: JSON.stringify([...recent, at]),
        });
        await vms.note(
          row,
          'vm.restart_scheduled',
          `VM ${row.name} stopped (${info.reason}); its ${row.restart_policy} policy restarts it in ${decision.delayMs / 1000} s (restart ${decision.attempt} of at most ${row.restart_max} in ${row.restart_window_s} s)`,
          { reason: info.reason, delayMs: decision.delayMs, attempt: decision.attempt },
        );
        return;
      }
    }
  }

  /**
   * Makes the disks of a running QEMU match the VM's volumes: a daemon that died between a
   * hot-plug and its record (or the reverse) left them apart. Failures are logged; the record
   * stays what the user asked for.
   */
  async #syncDisks(row: VmRow, inst: VmInstance): Promise<void> {
    const wanted = await this.#d.volumes.diskSpecs(row.id);
    try {
      const present = new Set(await listDisks(inst.qmp));
      if (wanted.some((d) => !present.has(d.id))) await this.#d.volumes.handOver(row.id, ownerOf(row));
      for (const d of wanted) if (!present.has(d.id)) await hotplugDisk(inst.qmp, d);
      const ids = new Set(wanted.map((d) => d.id));
      for (const id of present) if (!ids.has(id) && /^d[0-9a-f]{12}$/.test(id)) await unplugDisk(inst.qmp, id, { timeoutMs: 10_000 });
    } catch (e) {
      this.#d.log.warn({ vm: row.name, vmId: row.id, err: e instanceof Error ? e.message : String(e) }, 'cannot bring the disks of the running VM in line with its volumes');
    }
  }

  /** Ends a VM's QEMU as a failure (a failed health check); the restart policy takes it from there. */
  async failStop(vmId: string, reason: string): Promise<void> {
    await this.#instances.get(vmId)?.failStop(reason);
  }

  #hooks(vmId: string): InstanceHooks {
    return {
      onStatus: (s) => this.#onInstanceStatus(vmId, s),
      onFailure: (kind, message, data) => void this.#onFailure(vmId, kind, message, data),
    };
  }

  async #onFailure(vmId: string, kind: 'panic' | 'watchdog' | 'io-error', message: string, data: Record<string, unknown>): Promise<void> {
    const row = await this.#d.vms.get(vmId);
    if (!row) return;
    this.#d.log.warn({ vm: row.name, vmId, kind, message }, 'guest failure');
    await this.#d.vms.note(row, `vm.${kind}`, `VM ${row.name}: ${message}`, data);
    // QEMU paused the VM (an I/O error with werror=stop, or a watchdog with action pause):
    // keep it paused, with the reason, until the operator resumes it; resuming on our own
    // would only write into the same failing storage again.
    if (kind === 'io-error' || (kind === 'watchdog' && data.action === 'pause')) {
      await this.#d.vms.setIntent(vmId, { desired_state: 'paused' });
      await this.#d.vms.setStatus(vmId, { reason: `paused: ${message}; fix the cause, then resume it` });
      this.#d.wake(vmId);
    }
  }

  #onInstanceStatus(vmId: string, status: 'running' | 'paused'): void {
    void this.#d.vms.get(vmId).then(async (row) => {
      if (row && liveStates.has(row.state) && row.state !== 'stopping' && row.state !== status)
        await this.#d.vms.setStatus(vmId, { state: status });
      this.#d.wake(vmId);
    });
  }
}
