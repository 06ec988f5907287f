/**
 * VM snapshots: internal qcow2 snapshots of every disk, taken at one instant (one QMP
 * transaction while the VM runs), optionally with RAM and device state (QEMU's snapshot-save
 * job, saved into the root disk). A revert does what Proxmox does: a running VM is stopped,
 * its disks are reverted, and when the snapshot saved memory the VM resumes exactly where it
 * was; otherwise it stays stopped. The snapshot tree (parent, current) lives in the database.
 */
import { randomUUID } from 'node:crypto';
import { HerdError, type Operation, type Snapshot, type SnapshotCreate } from '@herd/api';
import type { Logger } from 'pino';
import type { OperationStore } from '../operations/operation-store.js';
import { runOperation } from '../operations/run-operation.js';
import type { DataPaths } from '../paths.js';
import { deleteDiskSnapshots, deleteVmState, saveVmState, snapshotDisks } from '../qemu/qmp-snapshot.js';
import { dropBackupBitmap } from '../storage/bitmaps.js';
import type { LiveVms } from '../volumes/live-vms.js';
import { percent } from '../qemu/qmp-jobs.js';
import { listSnapshots, snapshotApply, snapshotCreate, snapshotDelete } from '../storage/qemu-img.js';
import { deviceId } from '../storage/volume-disk.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';
import type { SnapshotRow, VmRow, VolumeRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { waitForVm } from '../vm/wait-for-vm.js';
import type { SnapshotRepo } from './snapshot-repo.js';

/** What the snapshot service needs. */
export interface SnapshotServiceDeps {
  readonly snapshots: SnapshotRepo;
  readonly vms: VmRepo;
  readonly volumes: VolumeRepo;
  readonly ops: OperationStore;
  readonly paths: DataPaths;
  readonly live: LiveVms;
  readonly wake: (vmId: string) => void;
  readonly log: Logger;
}

const jobTimeoutMs = 30 * 60_000;
const stopTimeoutMs = 60_000;

/** Snapshot use cases. */
export class SnapshotService {
  readonly #d: SnapshotServiceDeps;

  constructor(deps: SnapshotServiceDeps) {
    this.#d = deps;
  }

  /** A VM's snapshots, oldest first. */
  async list(vmRef: string): Promise<Snapshot[]> {
    const vm = await this.#d.vms.find(vmRef);
    const rows = await this.#d.snapshots.ofVm(vm.id);
    const names = new Map(rows.map((r) => [r.id, r.name]));
    return rows.map((r) => toApiSnapshot(r, vm, names));
  }

  /** Takes a snapshot of all the VM's disks (and its memory with `withMemory`). */
  async create(vmRef: string, body: SnapshotCreate): Promise<Operation> {
    const vm = await this.#d.vms.find(vmRef);
    this.#checkSettled(vm, 'snapshot');
    if ((await this.#d.snapshots.ofVm(vm.id)).some((s) => s.name === body.name)) throw new HerdError('name_taken', { kind: 'snapshot', name: body.name, field: 'name' });
    const disks = await this.#disks(vm);
    const live = vm.state === 'running' || vm.state === 'paused';
    if (body.withMemory && !live) throw new HerdError('validation_failed', { field: 'withMemory', reason: `VM '${vm.name}' is ${vm.state}: only a running or paused VM has memory to save` });
    const op = await this.#d.ops.create('snapshot.create', { type: 'vm', id: vm.id, name: vm.name }, { snapshot: body.name }, `snapshotting ${vm.name}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'snapshot.create', async (progress) => {
      const ids = disks.map((d) => deviceId(d));
      const state = await this.#d.live.exclusive(vm.id, async (qmp) => {
        if (!qmp) {
          const done: VolumeRow[] = [];
          try {
            for (const d of disks) {
              await snapshotCreate(d.path, body.name, this.#key(d));
              done.push(d);
            }
          } catch (e) {
            for (const d of done) await snapshotDelete(d.path, body.name, this.#key(d)).catch(() => undefined);
            throw e;
          }
          return 'stopped' as const;
        }
        const now = (await this.#d.vms.get(vm.id))?.state === 'paused' ? ('paused' as const) : ('running' as const);
        if (body.withMemory)
          await saveVmState(qmp, { jobId: `snap-${op.id.slice(0, 8)}`, tag: body.name, vmstateDisk: 'root', disks: ids, timeoutMs: jobTimeoutMs, onProgress: (p) => progress(percent(p), 'saving memory and disks') });
        else await snapshotDisks(qmp, ids, body.name);
        return now;
      });
      const row: SnapshotRow = {
        id: randomUUID(),
        vm_id: vm.id,
        name: body.name,
        parent_id: (await this.#d.vms.get(vm.id))?.current_snapshot_id ?? null,
        with_memory: body.withMemory ? 1 : 0,
        vm_state: state,
        description: body.description ?? '',
        created_at: nowIso(),
      };
      await this.#d.snapshots.insert(row, vm.name);
      this.#d.log.info({ vm: vm.name, vmId: vm.id, snapshot: row.name, withMemory: body.withMemory === true }, 'snapshot taken');
      return { snapshot: toApiSnapshot(row, vm, new Map()) };
    });
    return op;
  }

  /**
   * Reverts a VM to a snapshot: stops it if it runs, reverts every disk that has the snapshot,
   * and resumes it from the saved memory when there is some (the reconciler loads it at start).
   */
  async revert(vmRef: string, snapRef: string): Promise<Operation> {
    const vm = await this.#d.vms.find(vmRef);
    this.#checkSettled(vm, 'revert');
    const snap = await this.#d.snapshots.find(vm, snapRef);
    const disks = await this.#disks(vm);
    const op = await this.#d.ops.create('snapshot.revert', { type: 'vm', id: vm.id, name: vm.name }, { snapshot: snap.name }, `reverting ${vm.name} to ${snap.name}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'snapshot.revert', async (progress) => {
      if (vm.state !== 'stopped' && vm.state !== 'error') {
        progress(10, 'stopping the VM');
        await this.#d.vms.setIntent(vm.id, { desired_state: 'stopped', stop_timeout_s: 0 });
        this.#d.wake(vm.id);
        await waitForVm(this.#d.vms, vm.id, (r) => r.state === 'stopped' || r.state === 'error', `VM ${vm.name} to stop`, stopTimeoutMs);
      }
      progress(40, 'reverting disks');
      await this.#d.live.exclusive(vm.id, async (qmp) => {
        if (qmp) throw new HerdError('action_not_allowed', { action: 'revert', name: vm.name, state: 'started again meanwhile' });
        for (const d of disks) {
          if (!(await listSnapshots(d.path)).some((s) => s.name === snap.name)) continue;
          await dropBackupBitmap(d.path);
          await snapshotApply(d.path, snap.name, this.#key(d));
        }
      });
      await this.#d.snapshots.setCurrent(snap, vm.name);
      if (!snap.with_memory) return { snapshot: snap.name, state: 'stopped' };
      progress(70, 'restoring memory');
      await this.#d.vms.setResume(vm.id, snap.name);
      await this.#d.vms.setIntent(vm.id, { desired_state: snap.vm_state === 'paused' ? 'paused' : 'running' });
      this.#d.wake(vm.id);
      const row = await waitForVm(this.#d.vms, vm.id, (r) => r.state === 'running' || r.state === 'paused' || r.state === 'error', `VM ${vm.name} to resume`, stopTimeoutMs);
      if (row.state === 'error') throw new HerdError('operation_failed', { kind: 'snapshot revert', reason: row.last_error ?? 'the VM failed to resume from the snapshot' });
      return { snapshot: snap.name, state: row.state };
    });
    return op;
  }

  /** Deletes a snapshot from every disk that has it (live or not); its children keep their state. */
  async delete(vmRef: string, snapRef: string): Promise<Operation> {
    const vm = await this.#d.vms.find(vmRef);
    this.#checkSettled(vm, 'delete a snapshot of');
    const snap = await this.#d.snapshots.find(vm, snapRef);
    const disks = await this.#disks(vm);
    const op = await this.#d.ops.create('snapshot.delete', { type: 'vm', id: vm.id, name: vm.name }, { snapshot: snap.name }, `deleting snapshot ${snap.name}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'snapshot.delete', async () => {
      await this.#d.live.exclusive(vm.id, async (qmp) => {
        const having: VolumeRow[] = [];
        for (const d of disks) if ((await listSnapshots(d.path)).some((s) => s.name === snap.name)) having.push(d);
        if (having.length === 0) return;
        if (!qmp) for (const d of having) await snapshotDelete(d.path, snap.name, this.#key(d));
        else if (snap.with_memory)
          await deleteVmState(qmp, { jobId: `snapdel-${op.id.slice(0, 8)}`, tag: snap.name, disks: having.map((d) => deviceId(d)), timeoutMs: jobTimeoutMs });
        else await deleteDiskSnapshots(qmp, having.map((d) => deviceId(d)), snap.name);
      });
      await this.#d.snapshots.remove(snap, vm.name);
      return { snapshot: snap.name };
    });
    return op;
  }

  #checkSettled(vm: VmRow, action: string): void {
    if (vm.deleting) throw new HerdError('action_not_allowed', { action, name: vm.name, state: 'being deleted' });
    if (vm.state === 'starting' || vm.state === 'stopping')
      throw new HerdError('action_not_allowed', { action, name: vm.name, state: vm.state, allowed: 'wait until it is running or stopped' });
  }

  /** The VM's disks, all of which must be able to hold internal snapshots (qcow2). */
  async #disks(vm: VmRow): Promise<VolumeRow[]> {
    const disks = await this.#d.volumes.ofVm(vm.id);
    const raw = disks.filter((d) => d.format !== 'qcow2');
    if (raw.length)
      throw new HerdError('snapshot_unsupported', {
        name: vm.name,
        reason: `volume${raw.length > 1 ? 's' : ''} ${raw.map((d) => d.name).join(', ')} ${raw.length > 1 ? 'are' : 'is'} raw; snapshots need qcow2 volumes (detach raw volumes first, or back the VM up instead)`,
      });
    return disks;
  }

  #key(d: VolumeRow): { keyFile?: string } {
    return d.encrypted ? { keyFile: this.#d.paths.volumeKey(d.id) } : {};
  }
}

/** The API form of a snapshot; `names` maps snapshot ids to names for the parent. */
function toApiSnapshot(r: SnapshotRow, vm: VmRow, names: Map<string, string>): Snapshot {
  return {
    id: r.id,
    name: r.name,
    vm: vm.name,
    parent: r.parent_id ? (names.get(r.parent_id) ?? null) : null,
    current: vm.current_snapshot_id === r.id,
    withMemory: r.with_memory === 1,
    vmState: r.vm_state,
    description: r.description,
    createdAt: r.created_at,
  };
}
