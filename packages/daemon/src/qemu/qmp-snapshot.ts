/**
 * Snapshots of a running VM over QMP, kept as internal snapshots inside each disk's qcow2 image:
 * they travel with the volume, and once QEMU has closed the image `qemu-img snapshot` (see
 * storage/qemu-img.ts) applies or deletes the same ones offline.
 *
 * Disk snapshots ({@link snapshotDisks}) are taken with the guest running, all disks in one
 * transaction, so they are consistent with each other; they are crash-consistent (what the guest
 * has not flushed is not in them, as after a power cut). VM-state snapshots ({@link saveVmState})
 * also hold the RAM and device state, so loading one resumes the guest where it was.
 *
 * Each function addresses a disk's top node (see `topNode`), and first reads what the images
 * hold, so repeating a call after an interruption finishes the work or finds it done. Snapshot
 * names and job ids should derive from snapshot ids.
 */
import { diskTopNodes } from './qmp-block-nodes.js';
import type { DiskNode } from './qmp-block-nodes.js';
import type { QmpClient } from './qmp-client.js';
import { queryJobs, runJob } from './qmp-jobs.js';
import type { JobProgress } from './qmp-jobs.js';
import { EmptyReturnSchema } from './qmp-messages.js';
import type { JsonObject } from './qmp-messages.js';

/** Which snapshot, of which disks, through which QEMU job. */
export interface VmStateTarget {
  /** QEMU job id: derive it from the snapshot id, so a retry re-attaches to a job still running. */
  readonly jobId: string;
  /** The snapshot's name on every disk. */
  readonly tag: string;
  /** Disks whose images hold the snapshot. */
  readonly disks: readonly string[];
  /** Budget for the whole job. */
  readonly timeoutMs: number;
}

/** Options for {@link saveVmState} and {@link loadVmState}. */
export interface VmStateOptions extends VmStateTarget {
  /** The disk whose image holds the RAM and device state; it is snapshotted even if not in `disks`. */
  readonly vmstateDisk: string;
}

/** Options for {@link saveVmState}. */
export interface SaveVmStateOptions extends VmStateOptions {
  /** QEMU reports a save as one step (0 of 1, then 1 of 1). */
  readonly onProgress?: (progress: JobProgress) => void;
}

// Draining the disks' I/O and writing snapshot tables; no data is copied.
const DISK_SNAPSHOT_TIMEOUT_MS = 60_000;

/**
 * Takes the internal snapshot `name` of every disk in `diskIds` at one instant (a QMP
 * `transaction` of `blockdev-snapshot-internal-sync`); the guest keeps running. Does nothing if
 * every disk already has a snapshot of that name; throws if only some do, and if a disk is not
 * attached or QEMU refuses (e.g. a raw disk). Call while QEMU runs, running or paused.
 */
export async function snapshotDisks(qmp: QmpClient, diskIds: readonly string[], name: string): Promise<void> {
  const disks = await diskTopNodes(qmp, nonEmpty(diskIds));
  const holders = disks.filter((d) => snapshotOf(d, name));
  if (holders.length === disks.length) return;
  if (holders.length > 0) {
    throw new Error(
      `disk ${ids(holders)} already has a snapshot named '${name}' but disk ${ids(disks.filter((d) => !holders.includes(d)))} has not; ` +
        'they cannot be made consistent now: delete it and take it again',
    );
  }
  const actions = disks.map((d) => ({ type: 'blockdev-snapshot-internal-sync', data: { device: d.nodeName, name } }));
  await command(qmp, 'transaction', { actions }, DISK_SNAPSHOT_TIMEOUT_MS);
}

/**
 * Deletes the internal snapshot `name` (and any VM state in it) from each disk in `diskIds` that
 * has it; disks without it are skipped, so the call is idempotent. Call while QEMU runs.
 */
export async function deleteDiskSnapshots(qmp: QmpClient, diskIds: readonly string[], name: string): Promise<void> {
  for (const d of await diskTopNodes(qmp, nonEmpty(diskIds))) {
    if (snapshotOf(d, name)) await command(qmp, 'blockdev-snapshot-delete-internal-sync', { device: d.nodeName, name }, DISK_SNAPSHOT_TIMEOUT_MS);
  }
}

/**
 * Saves the VM's RAM and device state into the image of `vmstateDisk` and takes the snapshot
 * `tag` of every disk (the `snapshot-save` job), then dismisses the job. The vCPUs are stopped
 * while it saves (STOP ... RESUME) and resume afterwards if they were running: a running guest
 * keeps running, a paused one stays paused. Does nothing if the snapshot with its state is already
 * there and no job `jobId` exists. Throws `JobFailedError` with QEMU's message (e.g. "Snapshot
 * 'x' already exists in one or more devices" when only some disks have it) or `JobTimeoutError`.
 * Call while QEMU runs.
 */
export async function saveVmState(qmp: QmpClient, options: SaveVmStateOptions): Promise<void> {
  const devices = await vmStateDevices(qmp, options);
  const jobExists = (await queryJobs(qmp)).some((j) => j.id === options.jobId);
  const saved = devices.every((d) => snapshotOf(d, options.tag)) && (snapshotOf(devices[0]!, options.tag)?.['vm-state-size'] ?? 0) > 0;
  if (saved && !jobExists) return;
  await runJob(
    qmp,
    options.jobId,
    // QEMU 7.2 replies to snapshot-save only once the state is saved, so the command gets the job's whole budget.
    (ms) => command(qmp, 'snapshot-save', vmStateArgs(options, devices), ms),
    { timeoutMs: options.timeoutMs, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
}

/**
 * Loads the snapshot `tag` (the `snapshot-load` job): every disk reverts to it and the RAM and
 * device state come from `vmstateDisk`'s image. Call on a QEMU started paused
 * (`LaunchSpec.startPaused`) whose guest has not run, before `cont`: the vCPUs are still stopped
 * afterwards, and `cont` resumes the guest where it was saved. Repeating it loads again.
 * Throws `JobFailedError` with QEMU's message (e.g. "Snapshot 'x' does not exist in one or more
 * devices") or `JobTimeoutError`.
 */
export async function loadVmState(qmp: QmpClient, options: VmStateOptions): Promise<void> {
  const devices = await vmStateDevices(qmp, options);
  await runJob(qmp, options.jobId, (ms) => command(qmp, 'snapshot-load', vmStateArgs(options, devices), ms), { timeoutMs: options.timeoutMs });
}

/**
 * Deletes the snapshot `tag`, with its VM state, from each disk in `disks` that has it (the
 * `snapshot-delete` job); does nothing if none has it. Throws `JobFailedError` or
 * `JobTimeoutError`. Call while QEMU runs.
 */
export async function deleteVmState(qmp: QmpClient, options: VmStateTarget): Promise<void> {
  const holders = (await diskTopNodes(qmp, nonEmpty(options.disks))).filter((d) => snapshotOf(d, options.tag));
  const jobExists = (await queryJobs(qmp)).some((j) => j.id === options.jobId);
  if (holders.length === 0 && !jobExists) return;
  const args = { 'job-id': options.jobId, tag: options.tag, devices: holders.map((d) => d.nodeName) };
  await runJob(qmp, options.jobId, (ms) => command(qmp, 'snapshot-delete', args, ms), { timeoutMs: options.timeoutMs });
}

/** The vmstate disk first, then the other disks, each once. */
function vmStateDevices(qmp: QmpClient, options: VmStateOptions): Promise<DiskNode[]> {
  return diskTopNodes(qmp, [...new Set([options.vmstateDisk, ...options.disks])]);
}

function vmStateArgs(options: VmStateOptions, devices: readonly DiskNode[]): JsonObject {
  return { 'job-id': options.jobId, tag: options.tag, vmstate: devices[0]!.nodeName, devices: devices.map((d) => d.nodeName) };
}

function snapshotOf(disk: DiskNode, name: string) {
  return (disk.info.image.snapshots ?? []).find((s) => s.name === name);
}

function nonEmpty(diskIds: readonly string[]): readonly string[] {
  if (diskIds.length === 0) throw new Error('no disks given');
  return diskIds;
}

function ids(disks: readonly DiskNode[]): string {
  return disks.map((d) => d.diskId).join(', ');
}

async function command(qmp: QmpClient, name: string, args: JsonObject, timeoutMs: number): Promise<void> {
  await qmp.execute(name, args, EmptyReturnSchema, { timeoutMs });
}
