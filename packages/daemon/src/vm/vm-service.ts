/**
 * What the API can ask of VMs. Each action checks the shared allowed-action predicates,
 * records the user's intent, starts an operation that finishes when the reconciler has made it
 * true, and wakes the reconciler. Nothing here talks to QEMU.
 */
import { randomUUID } from 'node:crypto';
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
} from '@herd/api';
import type { ImageRepo } from '../images/image-repo.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { VmOpTracker } from '../operations/vm-op-tracker.js';
import type { VmOpParams } from '../operations/vm-op-goals.js';
import type { DataPaths } from '../paths.js';
import type { VmRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { resolveAccel, type HostAccel } from './resolve-accel.js';
import { ensureRootDisk, removeRootDisk } from './root-disk.js';
import { toApiVm } from './to-api-vm.js';
import type { VmRepo } from './vm-repo.js';

/** Default grace for an ACPI shutdown before it is forced. */
export const defaultStopTimeoutS = 60;

/** Default cap on restarts by the policy: more than 5 in 10 minutes is a crash loop. */
export const defaultRestartLimit = { maxRestarts: 5, windowSeconds: 600 } as const;

/** What the VM service needs. */
export interface VmServiceDeps {
  readonly vms: VmRepo;
  readonly images: ImageRepo;
  readonly ops: OperationStore;
  readonly tracker: VmOpTracker;
  readonly paths: DataPaths;
  readonly accel: HostAccel;
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
    const rows = await this.#d.vms.list();
    const names = new Map((await this.#d.images.list()).map((i) => [i.id, i.name]));
    return rows.map((r) => toApiVm(r, names.get(r.image_id) ?? r.image_id));
  }

  /** One VM, by id or name. */
  async get(ref: string): Promise<Vm> {
    return this.#toApi(await this.#d.vms.find(ref));
  }

  /** The VM record behind `ref` (for the console). */
  async find(ref: string): Promise<VmRow> {
    return this.#d.vms.find(ref);
  }

  /**
   * Creates a VM: validates, makes its root disk (a linked clone of the image), records it,
   * and starts it when asked. A failure leaves no VM and no disk behind.
   */
  async create(body: VmCreate): Promise<Operation> {
    const problem = nameProblem(body.name);
    if (problem) throw new HerdError('validation_failed', { field: 'name', reason: problem });
    const image = await this.#d.images.findOptional(body.image);
    if (!image) throw new HerdError('validation_failed', { field: 'image', reason: `image '${body.image}' does not exist; see \`herd image list\`` });
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
    const now = nowIso();
    const row: VmRow = {
      id: randomUUID(),
      name: body.name,
      host: this.#d.hostName,
      cpus: body.cpus ?? 1,
      memory_mib: memoryMiB,
      disk_bytes: diskBytes,
      image_id: image.id,
      kernel_cmdline: body.kernelCmdline ?? null,
      accel_pref: accelPref,
      desired_state: body.start ? 'running' : 'stopped',
      deleting: 0,
      stop_timeout_s: defaultStopTimeoutS,
      restart_generation: 0,
      boot_generation: 0,
      state: 'stopped',
      accel: null,
      pid: null,
      reason: 'created',
      last_error: null,
      started_at: null,
      stop_deadline: null,
      state_changed_at: now,
      created_at: now,
      updated_at: now,
      restart_policy: body.restartPolicy ?? 'no',
      restart_max: body.restartLimit?.maxRestarts ?? defaultRestartLimit.maxRestarts,
      restart_window_s: body.restartLimit?.windowSeconds ?? defaultRestartLimit.windowSeconds,
      health_check: body.healthCheck ? JSON.stringify(body.healthCheck) : null,
      watchdog: body.watchdog ?? 'off',
      port_forwards: JSON.stringify(body.portForwards ?? []),
      restart_times: '[]',
      next_restart_at: null,
      health: 'none',
    };
    const existing = await this.#d.vms.find(body.name).catch(() => undefined);
    if (existing) throw new HerdError('name_taken', { kind: 'VM', name: body.name, field: 'name' });
    const disk = this.#d.paths.rootDisk(row.id);
    await ensureRootDisk(disk, image, diskBytes);
    try {
      await this.#d.vms.insert(row);
    } catch (e) {
      await removeRootDisk(disk);
      throw e;
    }
    const params: VmOpParams = { start: body.start === true };
    const op = await this.#d.ops.create('vm.create', { type: 'vm', id: row.id, name: row.name }, { ...params }, body.start ? 'starting' : 'created');
    await this.#d.tracker.track(op.id, row.id, 'vm.create', params, row.name);
    if (body.start) this.#d.wake(row.id);
    return op;
  }

  /**
   * Changes how a VM heals. The restart policy and health check apply at once; the watchdog
   * device at the next start.
   */
  async update(ref: string, body: VmUpdate): Promise<Vm> {
    const row = await this.#d.vms.find(ref);
    if (body.healthCheck) checkHealthCheck(body.healthCheck);
    await this.#d.vms.setSettings(row.id, {
      ...(body.restartPolicy ? { restart_policy: body.restartPolicy } : {}),
      ...(body.restartLimit ? { restart_max: body.restartLimit.maxRestarts, restart_window_s: body.restartLimit.windowSeconds } : {}),
      ...(body.healthCheck !== undefined ? { health_check: body.healthCheck ? JSON.stringify(body.healthCheck) : null } : {}),
      ...(body.watchdog ? { watchdog: body.watchdog } : {}),
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
    const image = await this.#d.images.get(row.image_id);
    return toApiVm(row, image?.name ?? row.image_id);
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
  }
}
