/**
 * Point-in-time backups of a running VM's disks with QEMU block jobs (`blockdev-backup`): the
 * guest keeps running, and copy-before-write keeps what each target receives as it was when the
 * jobs started, all disks at the same instant (one `transaction`).
 *
 * Incremental backups follow persistent dirty bitmaps. A full backup adds the bitmap in the same
 * transaction that starts it, so the bitmap records exactly the writes after that instant; each
 * incremental copies only the clusters it marks and, on success, clears what it copied. QEMU
 * writes persistent bitmaps into the qcow2 when it closes the image cleanly (quit, guest
 * poweroff), so they survive a restart of the VM; after a crash QEMU finds them marked in use and
 * loads them as inconsistent, and the next backup of that disk has to be full ({@link bitmapState}).
 * Jobs and bitmaps address each disk's top node (see `topNode`); after a live freeze that is a
 * new overlay without the bitmap, so the next backup is full there too.
 *
 * QEMU 7.2 refuses bitmap actions in a transaction with completion-mode "grouped":
 *
 *   -> {"execute": "transaction", "arguments": {"actions": [{"type": "blockdev-backup", ...},
 *        {"type": "block-dirty-bitmap-add", ...}], "properties": {"completion-mode": "grouped"}}}
 *   <- {"error": {"class": "GenericError", "desc": "Action 'block-dirty-bitmap-add' does not
 *        support Transaction property completion-mode = grouped"}}
 *
 * so only sets without a new bitmap (incrementals) are grouped: one failed job cancels the others
 * and every bitmap stays as it was. In a set that adds bitmaps, a failure is undone here: the new
 * bitmaps are removed, and so is the bitmap of every incremental that succeeded (it no longer
 * marks the changes since a backup that exists), so those disks fall back to a full backup.
 */
import { rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createVolumeFile } from '../storage/qemu-img.js';
import { diskTopNodes, queryBlockNodes } from './qmp-block-nodes.js';
import type { DirtyBitmap, DiskNode } from './qmp-block-nodes.js';
import type { QmpClient } from './qmp-client.js';
import { QmpCommandError } from './qmp-errors.js';
import { queryJobs, runJobs } from './qmp-jobs.js';
import type { JobOutcome, JobProgress } from './qmp-jobs.js';
import { EmptyReturnSchema } from './qmp-messages.js';
import type { JsonObject } from './qmp-messages.js';

/** One disk of a backup set. */
export interface DiskBackup {
  readonly diskId: string;
  /** The qcow2 file to create and fill; it must not exist. */
  readonly targetPath: string;
  /** `full`: every cluster; `incremental`: only those `bitmap` marks as written since the last backup. */
  readonly sync: 'full' | 'incremental';
  /** The persistent bitmap an incremental follows (it must be usable: {@link bitmapState}). */
  readonly bitmap?: string;
  /**
   * For an incremental: the previous backup's file, which the target names as its backing file
   * (it must exist). Without it the target has no backing file, and whoever assembles the chain
   * later rebases it onto its base.
   */
  readonly backingPath?: string;
}

/** Options for {@link backupDisks}. */
export interface BackupOptions {
  readonly disks: readonly DiskBackup[];
  /**
   * A persistent bitmap to (re)start on each disk backed up in full, at the instant of the
   * backup, for the incrementals that follow. An existing bitmap of that name is replaced.
   */
  readonly newBitmap?: string;
  /** Bytes copied of bytes to copy, over all disks. */
  readonly onProgress?: (progress: JobProgress) => void;
  /** Budget for the whole backup, creating the files included. */
  readonly timeoutMs: number;
  /**
   * Called with each target file once it exists and before QEMU opens it: a QEMU running as a
   * user of its own needs it handed over (confine/own-for-vm.ts). Absent: nothing is done.
   */
  readonly beforeOpen?: (targetPath: string) => Promise<void>;
}

/** What one disk's backup covered. */
export interface DiskBackupResult {
  readonly diskId: string;
  readonly targetPath: string;
  /** Bytes the job went through: the whole disk for a full backup, the marked clusters for an incremental. */
  readonly bytes: number;
}

/** A backup could not be made; its target files have been removed. `disks` has QEMU's message per failed disk. */
export class BackupError extends Error {
  constructor(
    message: string,
    readonly disks: ReadonlyMap<string, string> = new Map(),
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** A dirty bitmap as a backup needs to know it. */
export type BitmapState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      /** Recording writes and consistent: an incremental may follow it. */
      readonly usable: boolean;
      /** Kept in the qcow2 across restarts of QEMU. */
      readonly persistent: boolean;
      /** Bytes written since the last backup that followed it: what an incremental would copy. */
      readonly dirtyBytes: number;
    };

const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Backs up every disk in `options.disks` at one instant, while the guest runs: creates each
 * target (qcow2, the disk's virtual size; an incremental's backed by `backingPath`), starts all
 * jobs in one transaction (adding `newBitmap` on full disks), waits for them, and detaches the
 * targets. On any failure removes the targets and throws {@link BackupError} (see the module
 * comment for what happens to bitmaps). Refuses before creating anything if a disk is not
 * attached, an incremental's bitmap is missing or unusable, a target exists, or a backup of a
 * disk is already running. Call while QEMU runs (the guest may be paused).
 */
export async function backupDisks(qmp: QmpClient, options: BackupOptions): Promise<DiskBackupResult[]> {
  const deadline = Date.now() + options.timeoutMs;
  const disks = options.disks;
  const nodes = await checkBackupSet(qmp, disks);
  await releaseTargets(qmp, disks.map((d) => d.diskId));

  const created: string[] = [];
  let outcomes: JobOutcome[] | undefined;
  const addsBitmaps = options.newBitmap !== undefined && disks.some((d) => d.sync === 'full');
  try {
    for (const [i, d] of disks.entries()) {
      const backing = d.sync === 'incremental' && d.backingPath !== undefined ? { backing: { path: d.backingPath, format: 'qcow2' as const } } : {};
      created.push(d.targetPath);
      await createVolumeFile(d.targetPath, 'qcow2', nodes[i]!.info.image['virtual-size'], backing);
      await options.beforeOpen?.(d.targetPath);
      await command(qmp, 'blockdev-add', {
        driver: 'qcow2',
        'node-name': names(d.diskId).target,
        file: { driver: 'file', filename: resolve(d.targetPath) },
        // The previous backup's data is never read: only changed clusters are written.
        backing: null,
      });
    }
    if (addsBitmaps) await removeBitmaps(qmp, disks.filter((d) => d.sync === 'full').map((d) => d.diskId), options.newBitmap!);
    outcomes = await runJobs(
      qmp,
      disks.map((d) => names(d.diskId).job),
      () => command(qmp, 'transaction', transaction(disks, nodes, options.newBitmap, addsBitmaps)),
      { timeoutMs: Math.max(1, deadline - Date.now()), ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
    );
    const failed = new Map(outcomes.flatMap((o, i) => (o.error === undefined ? [] : [[disks[i]!.diskId, o.error] as const])));
    if (failed.size > 0) {
      throw new BackupError(`backup failed: ${[...failed].map(([id, msg]) => `disk '${id}': ${msg}`).join('; ')}`, failed);
    }
    await releaseTargets(qmp, disks.map((d) => d.diskId));
    return disks.map((d, i) => ({ diskId: d.diskId, targetPath: d.targetPath, bytes: outcomes![i]!.total }));
  } catch (e) {
    await undo(qmp, options, outcomes, addsBitmaps, created);
    if (e instanceof BackupError) throw e;
    throw new BackupError(`backup failed: ${e instanceof QmpCommandError ? e.desc : e instanceof Error ? e.message : String(e)}`, new Map(), { cause: e });
  }
}

/**
 * The state of the dirty bitmap `name` on disk `diskId`, to decide whether the next backup can be
 * incremental. Throws if the disk is not attached. Call while QEMU runs.
 */
export async function bitmapState(qmp: QmpClient, diskId: string, name: string): Promise<BitmapState> {
  const [disk] = await diskTopNodes(qmp, [diskId]);
  const bitmap = findBitmap(disk!, name);
  if (!bitmap) return { exists: false };
  return { exists: true, usable: bitmap.recording && bitmap.inconsistent !== true, persistent: bitmap.persistent, dirtyBytes: bitmap.count };
}

/**
 * Removes the dirty bitmap `name` from disk `diskId` (also from the qcow2, if persistent), e.g.
 * when its backup chain is deleted; does nothing if there is none. Call while QEMU runs.
 */
export async function removeBitmap(qmp: QmpClient, diskId: string, name: string): Promise<void> {
  await removeBitmaps(qmp, [diskId], name);
}

/** Checks the set before anything is created; returns the disks' top nodes, in order. */
async function checkBackupSet(qmp: QmpClient, disks: readonly DiskBackup[]): Promise<DiskNode[]> {
  if (disks.length === 0) throw new BackupError('no disks to back up');
  const ids = disks.map((d) => d.diskId);
  if (new Set(ids).size !== ids.length) throw new BackupError(`a disk is listed twice: ${ids.join(', ')}`);
  const nodes = await diskTopNodes(qmp, ids);
  const running = new Set((await queryJobs(qmp)).map((j) => j.id));
  for (const [i, d] of disks.entries()) {
    if (running.has(names(d.diskId).job)) throw new BackupError(`a backup of disk '${d.diskId}' is already running (job ${names(d.diskId).job})`);
    if (await exists(d.targetPath)) throw new BackupError(`backup target ${d.targetPath} already exists; herd does not overwrite backups`);
    if (d.sync === 'incremental') {
      if (d.bitmap === undefined) {
        throw new BackupError(`an incremental backup of disk '${d.diskId}' needs the bitmap to follow`);
      }
      const b = findBitmap(nodes[i]!, d.bitmap);
      if (!b) throw new BackupError(`disk '${d.diskId}' has no bitmap '${d.bitmap}' to back up incrementally from; take a full backup`);
      if (b.inconsistent === true || !b.recording) {
        throw new BackupError(
          `bitmap '${d.bitmap}' of disk '${d.diskId}' is ${b.inconsistent ? 'inconsistent (QEMU did not close the image cleanly)' : 'not recording'}; take a full backup`,
        );
      }
    }
  }
  return nodes;
}

function transaction(disks: readonly DiskBackup[], nodes: readonly DiskNode[], newBitmap: string | undefined, addsBitmaps: boolean): JsonObject {
  const actions: JsonObject[] = disks.map((d, i) => ({
    type: 'blockdev-backup',
    data: {
      'job-id': names(d.diskId).job,
      device: nodes[i]!.nodeName,
      target: names(d.diskId).target,
      sync: d.sync,
      'auto-dismiss': false,
      ...(d.sync === 'incremental' ? { bitmap: d.bitmap!, 'bitmap-mode': 'on-success' } : {}),
    },
  }));
  if (addsBitmaps) {
    for (const [i, d] of disks.entries()) {
      if (d.sync === 'full') actions.push({ type: 'block-dirty-bitmap-add', data: { node: nodes[i]!.nodeName, name: newBitmap!, persistent: true } });
    }
  }
  return { actions, ...(addsBitmaps ? {} : { properties: { 'completion-mode': 'grouped' } }) };
}

/** Best-effort cleanup after a failed backup: targets detached and deleted, bitmaps made honest. */
async function undo(
  qmp: QmpClient,
  options: BackupOptions,
  outcomes: readonly JobOutcome[] | undefined,
  addsBitmaps: boolean,
  created: readonly string[],
): Promise<void> {
  const disks = options.disks;
  await releaseTargets(qmp, disks.map((d) => d.diskId)).catch(() => undefined);
  if (addsBitmaps) {
    await removeBitmaps(qmp, disks.filter((d) => d.sync === 'full').map((d) => d.diskId), options.newBitmap!).catch(() => undefined);
    for (const [i, d] of disks.entries()) {
      if (d.sync === 'incremental' && outcomes?.[i] !== undefined && outcomes[i].error === undefined) {
        await removeBitmaps(qmp, [d.diskId], d.bitmap!).catch(() => undefined);
      }
    }
  }
  await Promise.all(created.map((p) => rm(p, { force: true })));
}

/** Detaches backup target nodes left on the disks (by this call or an interrupted one). */
async function releaseTargets(qmp: QmpClient, diskIds: readonly string[]): Promise<void> {
  const nodes = await queryBlockNodes(qmp);
  for (const id of diskIds) {
    if (nodes.has(names(id).target)) await command(qmp, 'blockdev-del', { 'node-name': names(id).target });
  }
}

async function removeBitmaps(qmp: QmpClient, diskIds: readonly string[], name: string): Promise<void> {
  if (diskIds.length === 0) return;
  for (const d of await diskTopNodes(qmp, diskIds)) {
    if (findBitmap(d, name)) await command(qmp, 'block-dirty-bitmap-remove', { node: d.nodeName, name });
  }
}

function findBitmap(disk: DiskNode, name: string): DirtyBitmap | undefined {
  return (disk.info['dirty-bitmaps'] ?? []).find((b) => b.name === name);
}

/** The QEMU ids of a disk's backup: its job and its target node (at most 30 bytes, within QEMU's 31). */
function names(diskId: string): { readonly job: string; readonly target: string } {
  return { job: `${diskId}-backup`, target: `${diskId}-bkp` };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function command(qmp: QmpClient, name: string, args: JsonObject): Promise<void> {
  await qmp.execute(name, args, EmptyReturnSchema, { timeoutMs: COMMAND_TIMEOUT_MS });
}
