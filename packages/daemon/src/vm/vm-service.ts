/**
 * What the API can ask of VMs. Each action checks the shared allowed-action predicates,
 * records the user's intent, starts an operation that finishes when the reconciler has made it
 * true, and wakes the reconciler. Nothing here talks to QEMU.
 */
import {
  HerdError,
  allowedActions,
  isActionAllowed,
  nameProblem,
  type Operation,
  type OperationKind,
  type Vm,
  type VmAction,
  type HealthCheck,
  type PortForward,
  type VmCreate,
  type VmStopBody,
  type VmUpdate,
  type PlacementExplanation,
} from '@herd/api';
import { placementColumn } from '../cluster/placement-request.js';
import type { PlacementService } from '../cluster/placement-service.js';
import type { ImageRepo } from '../images/image-repo.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { VmOpTracker } from '../operations/vm-op-tracker.js';
import type { VmOpParams } from '../operations/vm-op-goals.js';
import type { DataPaths } from '../paths.js';
import type { VmRow } from '../store/schema.js';
import { resolveAccel, type HostAccel } from './resolve-accel.js';
import { isUuid } from '../util/uuid.js';
import type { PoolService } from '../pools/pool-service.js';
import { defaultPoolName } from '../pools/pool-service.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';
import { rootVolumeName, type VolumeService } from '../volumes/volume-service.js';
import type { VmRepo } from './vm-repo.js';
import type { VmView } from './vm-view.js';
import type { NicService } from '../networks/nic-service.js';
import { defaultRestartLimit, defaultStopTimeoutS, newVmRow } from './new-vm-row.js';

export { defaultRestartLimit, defaultStopTimeoutS } from './new-vm-row.js';

/** What the VM service needs. */
export interface VmServiceDeps {
  readonly vms: VmRepo;
  readonly images: ImageRepo;
  readonly ops: OperationStore;
  readonly tracker: VmOpTracker;
  readonly paths: DataPaths;
  readonly pools: PoolService;
  readonly volumes: VolumeService;
  readonly volumeRows: VolumeRepo;
  readonly view: VmView;
  readonly nics: NicService;
  /** Whether the network named default exists (VMs created without nics get a NIC on it). */
  readonly hasDefaultNetwork: () => Promise<boolean>;
  readonly accel: HostAccel;
  /** Chooses each new VM's host. */
  readonly placement: PlacementService;
  readonly hostName: string;
  readonly wake: (vmId: string) => void;
}

/** VM use cases for the HTTP layer. */
export class VmService {
  readonly #d: VmServiceDeps;

  constructor(deps: VmServiceDeps) {
    this.#d = deps;
  }

  /** All VMs. */
  async list(): Promise<Vm[]> {
    return this.#d.view.many(await this.#d.vms.listVisible());
  }

  /** One VM, by id or name. */
  async get(ref: string): Promise<Vm> {
    return this.#toApi(await this.#d.vms.find(ref));
  }

  /**
   * The VM id whose events `GET /events?target=ref` lists: an id is taken as it is (so that the
   * events of a deleted VM can still be read); a name must be a VM's now (not_found otherwise).
   */
  async idForEvents(ref: string): Promise<string> {
    return isUuid(ref) ? ref.toLowerCase() : (await this.#d.vms.find(ref)).id;
  }

  /** Where VM `ref` would go if it were placed now, and why. */
  async explainPlacement(ref: string): Promise<PlacementExplanation> {
    return this.#d.placement.explain(await this.#d.vms.find(ref));
  }

  /** The VM record behind `ref` (for the console). */
  async find(ref: string): Promise<VmRow> {
    return this.#d.vms.find(ref);
  }

  /**
   * Creates a VM: validates, places it on a host (the scheduler's choice, or `host` if it fits
   * there), makes its root disk (a linked clone of the image), records it, and starts it when
   * asked. A failure leaves no VM and no disk behind.
   */
  async create(body: VmCreate): Promise<Operation> {
    const problem = nameProblem(body.name);
    if (problem) throw new HerdError('validation_failed', { field: 'name', reason: problem });
    const image = await this.#d.images.findOptional(body.image);
    if (!image) throw new HerdError('validation_failed', { field: 'image', reason: `image '${body.image}' does not exist; see \`herd image list\`` });
    if (image.kind === 'iso')
      throw new HerdError('validation_failed', { field: 'image', reason: `image '${image.name}' is an ISO; give it as cdrom and a disk image (or a blank disk) as image` });
    const cdrom = body.cdrom === undefined ? undefined : await this.#d.images.findOptional(body.cdrom);
    if (body.cdrom !== undefined && !cdrom) throw new HerdError('validation_failed', { field: 'cdrom', reason: `image '${body.cdrom}' does not exist; see \`herd image list\`` });
    if (cdrom && cdrom.kind !== 'iso') throw new HerdError('validation_failed', { field: 'cdrom', reason: `image '${cdrom.name}' is not an ISO image` });
    const pool = await this.#d.pools.find(body.pool ?? defaultPoolName).catch(() => {
      throw new HerdError('validation_failed', { field: 'pool', reason: `pool '${body.pool}' does not exist; see \`herd pool list\`` });
    });
    const accelPref = body.accel ?? 'auto';
    resolveAccel(accelPref, this.#d.accel);
    const virtual = Number(image.virtual_size);
    const diskBytes = body.diskBytes ?? virtual;
    if (diskBytes < virtual)
      throw new HerdError('disk_too_small', { image: image.name, imageSize: `${virtual} bytes`, requested: `${diskBytes} bytes`, field: 'diskBytes' });
    checkHealthCheck(body.healthCheck);
    checkPortForwards(body.portForwards ?? []);
    const memoryMiB = body.memoryMiB ?? 256;
    if (image.min_memory_mib !== null && memoryMiB < image.min_memory_mib)
      throw new HerdError('validation_failed', {
        field: 'memoryMiB',
        reason: `image '${image.name}' needs at least ${image.min_memory_mib} MiB of memory to boot; ${memoryMiB} MiB was asked for`,
      });
    const placement = placementColumn(body.placement);
    const spec = newVmRow({
      name: body.name,
      // Until the placement in the insert chooses.
      host: this.#d.hostName,
      cpus: body.cpus ?? 1,
      memory_mib: memoryMiB,
      disk_bytes: diskBytes,
      image_id: image.id,
      kernel_cmdline: body.kernelCmdline ?? null,
      accel_pref: accelPref,
      // Running only once its disks and NICs exist (below): the VM's host, which may be
      // another, must not start it (and make a root disk of its own) in between.
      desired_state: 'stopped',
      restart_policy: body.restartPolicy ?? 'no',
      restart_max: body.restartLimit?.maxRestarts ?? defaultRestartLimit.maxRestarts,
      restart_window_s: body.restartLimit?.windowSeconds ?? defaultRestartLimit.windowSeconds,
      health_check: body.healthCheck ? JSON.stringify(body.healthCheck) : null,
      watchdog: body.watchdog ?? 'off',
      port_forwards: JSON.stringify(body.portForwards ?? []),
      cdrom_image_id: cdrom?.id ?? null,
      display: body.display ?? 'none',
      placement,
      priority: body.priority ?? 0,
      ha: body.ha ? 1 : 0,
    });
    const existing = await this.#d.vms.find(body.name).catch(() => undefined);
    if (existing) throw new HerdError('name_taken', { kind: 'VM', name: body.name, field: 'name' });
    if (await this.#d.volumeRows.byName(rootVolumeName(body.name)))
      throw new HerdError('name_taken', { kind: 'volume', name: rootVolumeName(body.name), field: 'name' });
    // A root disk that is a copy-on-write overlay of its image takes almost nothing at first and
    // grows with what the guest writes (the pool forecast warns before it fills); one that must
    // be a full copy (pools without qcow2) needs its whole size now.
    if (!this.#d.pools.driver(pool).formats.includes('qcow2')) await this.#d.pools.checkSpace(pool, diskBytes);
    // The VM record first, then its root disk: a crash in between leaves a VM whose root disk
    // the next daemon start makes (VolumeService.adoptRoot), never a disk no one owns.
    // Without nics, a VM gets one on the default network, as Incus's default profile does;
    // `nics: []` asks for none (then port forwards, if any, use QEMU's user-mode networking).
    const nics = body.nics ?? ((body.portForwards ?? []).length === 0 && (await this.#d.hasDefaultNetwork()) ? [{ network: 'default' }] : []);
    const row = await this.#d.vms.insert(spec, this.#d.placement.placer({ pool: pool.name, networks: nics.map((n) => n.network), ...(body.host !== undefined && { pin: body.host }) }));
    try {
      await this.#d.nics.createFor(row, nics);
      // A disk in a pool only its host reaches is made there: its reconciler makes a missing
      // root disk before the first start (VolumeService.adoptRoot).
      if (row.host === this.#d.hostName || pool.shared) await this.#d.volumes.createRoot(row, image, pool, diskBytes);
    } catch (e) {
      await this.#d.nics.releaseVm(row.id);
      await this.#d.vms.remove(row.id);
      throw e;
    }
    const params: VmOpParams = { start: body.start === true };
    const op = await this.#d.ops.create('vm.create', { type: 'vm', id: row.id, name: row.name }, { ...params }, body.start ? 'starting' : 'created');
    await this.#d.tracker.track(op.id, row.id, 'vm.create', params, row.name);
    if (body.start) {
      await this.#d.vms.setIntent(row.id, { desired_state: 'running' });
      this.#d.wake(row.id);
    }
    return op;
  }

  /**
   * Changes how a VM heals, and its display. The restart policy and health check apply at once;
   * the watchdog device and the display at the next start.
   */
  async update(ref: string, body: VmUpdate): Promise<Vm> {
    const row = await this.#d.vms.find(ref);
    if (body.healthCheck) checkHealthCheck(body.healthCheck);
    await this.#d.vms.setSettings(row.id, {
      ...(body.restartPolicy ? { restart_policy: body.restartPolicy } : {}),
      ...(body.restartLimit ? { restart_max: body.restartLimit.maxRestarts, restart_window_s: body.restartLimit.windowSeconds } : {}),
      ...(body.healthCheck !== undefined ? { health_check: body.healthCheck ? JSON.stringify(body.healthCheck) : null } : {}),
      ...(body.watchdog ? { watchdog: body.watchdog } : {}),
      ...(body.display ? { display: body.display } : {}),
      ...(body.priority !== undefined ? { priority: body.priority } : {}),
      ...(body.ha !== undefined ? { ha: body.ha ? 1 : 0 } : {}),
    });
    this.#d.wake(row.id);
    return this.get(row.id);
  }

  /** Starts a stopped VM. */
  async start(ref: string): Promise<Operation> {
    const row = await this.#allowed(ref, 'start');
    await this.#d.vms.setIntent(row.id, { desired_state: 'running' });
    // A start by the user is a fresh start: the restart history of a crash loop is forgotten.
    await this.#d.vms.setStatus(row.id, {
      ...(row.state === 'error' ? { state: 'stopped' as const, last_error: null } : {}),
      restart_times: '[]',
      next_restart_at: null,
    });
    return this.#op(row, 'vm.start');
  }

  /** Stops a VM: ACPI shutdown with a grace period, or at once with `force`. */
  async stop(ref: string, body: VmStopBody): Promise<Operation> {
    const row = await this.#allowed(ref, 'stop');
    const timeout = body.force ? 0 : (body.timeoutSeconds ?? defaultStopTimeoutS);
    await this.#d.vms.setIntent(row.id, { desired_state: 'stopped', stop_timeout_s: timeout });
    if (row.state === 'error') await this.#d.vms.setStatus(row.id, { state: 'stopped' });
    return this.#op(row, 'vm.stop', {}, body.force ? 'forcing stop' : 'shutting down (ACPI)');
  }

  /** Restarts a running VM: a stop as for `stop`, then a start of a new QEMU. */
  async restart(ref: string, body: VmStopBody): Promise<Operation> {
    const row = await this.#allowed(ref, 'restart');
    const generation = Math.max(row.restart_generation, row.boot_generation) + 1;
    const timeout = body.force ? 0 : (body.timeoutSeconds ?? defaultStopTimeoutS);
    await this.#d.vms.setIntent(row.id, { desired_state: 'running', restart_generation: generation, stop_timeout_s: timeout });
    return this.#op(row, 'vm.restart', { generation }, 'restarting');
  }

  /** Pauses a running VM. */
  async pause(ref: string): Promise<Operation> {
    const row = await this.#allowed(ref, 'pause');
    await this.#d.vms.setIntent(row.id, { desired_state: 'paused' });
    return this.#op(row, 'vm.pause');
  }

  /** Resumes a paused VM. */
  async resume(ref: string): Promise<Operation> {
    const row = await this.#allowed(ref, 'resume');
    await this.#d.vms.setIntent(row.id, { desired_state: 'running' });
    return this.#op(row, 'vm.resume');
  }

  /** Deletes a VM: stops it (forced), removes its disk, console log and runtime files. */
  async delete(ref: string): Promise<Operation> {
    const row = await this.#allowed(ref, 'delete');
    await this.#d.vms.setIntent(row.id, { deleting: 1, stop_timeout_s: 0 });
    return this.#op(row, 'vm.delete', {}, 'deleting');
  }

  async #allowed(ref: string, action: VmAction): Promise<VmRow> {
    const row = await this.#d.vms.find(ref);
    if (row.deleting) throw new HerdError('action_not_allowed', { action, name: row.name, state: 'being deleted' });
    if (!isActionAllowed(row.state, action))
      throw new HerdError('action_not_allowed', { action, name: row.name, state: row.state, allowed: allowedActions(row.state).join(', ') });
    return row;
  }

  async #op(row: VmRow, kind: OperationKind, params: VmOpParams = {}, message = 'waiting for the VM'): Promise<Operation> {
    const op = await this.#d.ops.create(kind, { type: 'vm', id: row.id, name: row.name }, { ...params }, message);
    await this.#d.tracker.track(op.id, row.id, kind, params, row.name);
    this.#d.wake(row.id);
    return (await this.#d.ops.get(op.id)) ?? op;
  }

  async #toApi(row: VmRow): Promise<Vm> {
    return this.#d.view.one(row);
  }
}

function checkHealthCheck(check: HealthCheck | undefined): void {
  if (check?.type !== 'console') return;
  try {
    new RegExp(check.pattern);
  } catch (e) {
    throw new HerdError('validation_failed', { field: 'healthCheck.pattern', reason: `not a regular expression: ${e instanceof Error ? e.message : String(e)}` });
  }
}

function checkPortForwards(forwards: readonly PortForward[]): void {
  const seen = new Set<number>();
  for (const f of forwards) {
    if (seen.has(f.hostPort))
      throw new HerdError('validation_failed', { field: 'portForwards', reason: `host port ${f.hostPort} is forwarded twice; each host port can go to one guest port` });
    seen.add(f.hostPort);
    // QEMU runs unprivileged (its own uid, seccomp): it cannot bind privileged ports.
    if (f.hostPort < 1024)
      throw new HerdError('validation_failed', { field: 'portForwards', reason: `host port ${f.hostPort} is below 1024, which QEMU, running unprivileged, cannot bind; use a port from 1024 up` });
  }
}
