/**
 * Moving local disks along with a live migration, the way libvirt does: the destination QEMU
 * (launched with `incoming: true` on empty images of the same virtual sizes) exports its disks
 * over NBD, writable; the source mirrors each disk's top node into them (`sync: full`, so a
 * backing chain arrives flattened) and, once every mirror is READY, migrates the RAM while the
 * mirrors keep the copies in step. When the migration has completed (source paused for good),
 * {@link finishMirrors} ends the mirrors consistently without pivoting the source, the
 * destination stops its NBD server and gets `cont`. On failure, {@link abortMirrors} drops them
 * and the source runs on with its own disks untouched.
 *
 * Ending a READY mirror with `block-job-cancel` (not forced) copies what is still dirty, flushes
 * the target and ends the job; QEMU 7.2 reports that as a completion, not a cancellation:
 *
 *   -> {"execute": "block-job-cancel", "arguments": {"device": "mig-root"}}
 *   <- {"event": "JOB_STATUS_CHANGE", "data": {"status": "waiting", "id": "mig-root"}}
 *   <- {"event": "JOB_STATUS_CHANGE", "data": {"status": "pending", "id": "mig-root"}}
 *   <- {"event": "BLOCK_JOB_COMPLETED", "data": {"device": "mig-root", "len": 69468160, "offset": 69468160, ...}}
 *   <- {"event": "JOB_STATUS_CHANGE", "data": {"status": "concluded", "id": "mig-root"}}
 *
 * so the outcome is read from `query-jobs` (an `error` or none) rather than from which event came.
 * Mirror jobs are created with auto-dismiss off, as all herd's jobs, so that a failed one can be
 * read (and a retried call sees it) until {@link abortMirrors} dismisses it.
 */
import { Type } from '@sinclair/typebox';
import type { QmpClient } from './qmp-client.js';
import { QmpCommandError } from './qmp-errors.js';
import { diskNames } from './disk-objects.js';
import { queryBlockNodes } from './qmp-block-nodes.js';
import { qemuMessage } from './qmp-device.js';
import { queryJobs } from './qmp-jobs.js';
import type { JobInfo, JobProgress } from './qmp-jobs.js';
import { EmptyReturnSchema } from './qmp-messages.js';
import type { JsonObject } from './qmp-messages.js';
import { QmpWakeup } from './qmp-wakeup.js';

/** A TCP address of an NBD server. */
export interface NbdAddress {
  readonly host: string;
  readonly port: number;
}

/** One writable export of the destination's NBD server: block node `node` under the name `name` (also the export's QEMU id). */
export interface NbdExport {
  readonly node: string;
  readonly name: string;
}

/** Options for {@link mirrorToNbd}. */
export interface MirrorToNbdOptions {
  /** The source node to copy: the disk's top node (`topNode(qmp, diskId)`), which the guest writes through. */
  readonly node: string;
  /** The destination's NBD server. */
  readonly host: string;
  readonly port: number;
  readonly exportName: string;
  /** The block job's id (a QEMU id of at most 26 characters); the NBD client node is named after it (`<jobId>-nbd`). */
  readonly jobId: string;
  /** Called with the copy's progress in bytes, about twice a second until READY. */
  readonly onProgress?: (progress: JobProgress) => void;
  /** Aborting drops the mirror (as {@link abortMirrors}) and rejects. */
  readonly signal?: AbortSignal;
  /** The id of client TLS credentials (qmp-tls.ts) to connect with (`tls-creds`); missing: plain TCP. */
  readonly tlsCreds?: string;
  /** The name the server's certificate must be valid for (`tls-hostname`); missing, QEMU checks `host`. */
  readonly tlsHostname?: string;
}

/** Options for {@link nbdServe}. */
export interface NbdServeOptions {
  /**
   * The id of server TLS credentials (qmp-tls.ts): clients must then negotiate TLS before they
   * reach an export (`tls-creds`). Missing: plain TCP.
   */
  readonly tlsCreds?: string;
}

/** A step of moving disks failed; `qemuMessage` is QEMU's own explanation. */
export class DiskMirrorError extends Error {
  constructor(
    readonly subject: string,
    readonly qemuMessage: string,
    options?: ErrorOptions,
  ) {
    super(`moving disk data (${subject}) failed: ${qemuMessage}`, options);
    this.name = 'DiskMirrorError';
  }
}

const PROGRESS_INTERVAL_MS = 500;
// A READY mirror's last copy is what the guest dirtied since; forced cancels end at once.
const END_TIMEOUT_MS = 60_000;
const EXPORT_GONE_TIMEOUT_MS = 10_000;
// Node names are limited to 31 bytes; "-nbd" takes 4.
const JOB_ID = /^[A-Za-z][A-Za-z0-9_-]{0,25}$/;

const BlockExportsSchema = Type.Array(Type.Object({ id: Type.String(), type: Type.String(), 'node-name': Type.String() }));

/**
 * What the destination exports for disk `diskId`: its format node (`<id>-fmt`, the node its
 * device writes through once it runs), named after the disk. Pure.
 */
export function diskExport(diskId: string): NbdExport {
  return { node: diskNames(diskId).formatNode, name: diskId };
}

/**
 * On the destination: starts the NBD server on `address` (unless it runs already) and adds each
 * of `exports`, writable, unless an export of that name exists on the same node. Throws
 * {@link DiskMirrorError} with QEMU's message (port taken, unknown node, a name taken by another
 * node). A server already running keeps the TLS setting it was started with. Call on a QEMU
 * launched with `incoming: true`, before the source mirrors to it (and with `tlsCreds`, after
 * adding those credentials).
 */
export async function nbdServe(qmp: QmpClient, address: NbdAddress, exports: readonly NbdExport[], options: NbdServeOptions = {}): Promise<void> {
  try {
    const addr = { type: 'inet', data: { host: address.host, port: String(address.port) } };
    await qmp.execute('nbd-server-start', { addr, ...(options.tlsCreds !== undefined && { 'tls-creds': options.tlsCreds }) }, EmptyReturnSchema);
  } catch (e) {
    // QEMU 7.2 has no query for the server; a repeated start is refused with this message only.
    if (!(e instanceof QmpCommandError && e.desc === 'NBD server already running')) {
      throw new DiskMirrorError(`NBD server on ${address.host}:${address.port}`, qemuMessage(e), { cause: e });
    }
  }
  const existing = new Map((await queryExports(qmp)).map((x) => [x.id, x['node-name']]));
  for (const x of exports) {
    const node = existing.get(x.name);
    if (node === x.node) continue;
    if (node !== undefined) throw new DiskMirrorError(`export ${x.name}`, `the name is taken by an export of node '${node}'`);
    try {
      await qmp.execute('block-export-add', { type: 'nbd', id: x.name, 'node-name': x.node, name: x.name, writable: true }, EmptyReturnSchema);
    } catch (e) {
      throw new DiskMirrorError(`export ${x.name}`, qemuMessage(e), { cause: e });
    }
  }
}

/**
 * On the destination: stops the NBD server, which removes its exports, and waits until they are
 * gone (a client still connected holds one open). Does nothing if the server is not running.
 * Call after {@link finishMirrors} (or {@link abortMirrors}) on the source, before `cont`.
 */
export async function nbdStop(qmp: QmpClient): Promise<void> {
  const wake = QmpWakeup.watch(qmp, (e) => e.event === 'BLOCK_EXPORT_DELETED');
  try {
    try {
      await qmp.execute('nbd-server-stop', undefined, EmptyReturnSchema);
    } catch (e) {
      if (!(e instanceof QmpCommandError && e.desc === 'NBD server not running')) throw new DiskMirrorError('NBD server', qemuMessage(e), { cause: e });
    }
    const until = Date.now() + EXPORT_GONE_TIMEOUT_MS;
    for (;;) {
      wake.clear();
      const left = (await queryExports(qmp)).filter((x) => x.type === 'nbd');
      if (left.length === 0) return;
      if (Date.now() >= until) throw new DiskMirrorError('NBD server', `exports ${left.map((x) => x.id).join(', ')} are still open ${EXPORT_GONE_TIMEOUT_MS} ms after the server stopped`);
      await wake.wait(200);
    }
  } finally {
    wake.dispose();
  }
}

/**
 * On the source: connects to the destination's export and starts mirroring `node` into it
 * (`sync: full`), then resolves once the mirror is READY: everything has been copied once and
 * the guest's writes now go to both. If job `jobId` exists already it is followed instead (a
 * retried call re-attaches). Throws {@link DiskMirrorError} if QEMU refuses or the job ends
 * before READY (the failed job stays for {@link abortMirrors}), and rejects after dropping the
 * mirror when `signal` aborts (a certificate that fails the TLS checks is QEMU's refusal:
 * "Certificate does not match the hostname ..."). Call while the source runs, before
 * {@link migrate}, and with `tlsCreds`, after adding those credentials.
 */
export async function mirrorToNbd(qmp: QmpClient, options: MirrorToNbdOptions): Promise<void> {
  const { jobId, signal } = options;
  if (!JOB_ID.test(jobId)) throw new RangeError(`mirror job id ${JSON.stringify(jobId)} must be a letter followed by up to 25 letters, digits, '-' or '_'`);
  const target = targetNode(jobId);
  const wake = QmpWakeup.watch(qmp, (e) => e.event === 'JOB_STATUS_CHANGE' && e.data.id === jobId, signal);
  try {
    if (!(await queryJobs(qmp)).some((j) => j.id === jobId)) {
      signal?.throwIfAborted();
      try {
        if (!(await queryBlockNodes(qmp)).has(target)) {
          const server: JsonObject = { type: 'inet', host: options.host, port: String(options.port) };
          const tls: JsonObject = {
            ...(options.tlsCreds !== undefined && { 'tls-creds': options.tlsCreds }),
            ...(options.tlsHostname !== undefined && { 'tls-hostname': options.tlsHostname }),
          };
          await qmp.execute('blockdev-add', { driver: 'nbd', 'node-name': target, server, export: options.exportName, ...tls }, EmptyReturnSchema);
        }
        await qmp.execute('blockdev-mirror', { 'job-id': jobId, device: options.node, target, sync: 'full', 'auto-dismiss': false }, EmptyReturnSchema);
      } catch (e) {
        await deleteNode(qmp, target).catch(() => undefined);
        throw new DiskMirrorError(`mirror ${jobId} to ${options.host}:${options.port}/${options.exportName}`, qemuMessage(e), { cause: e });
      }
    }
    for (;;) {
      wake.clear();
      const job = (await queryJobs(qmp)).find((j) => j.id === jobId);
      if (!job) throw new DiskMirrorError(`mirror ${jobId}`, 'the job vanished before it was READY; was it dismissed by another QMP client?');
      options.onProgress?.({ done: job['current-progress'], total: job['total-progress'] });
      // A READY job paused by a drain shows as standby; it was READY all the same.
      if (job.status === 'ready' || job.status === 'standby') return;
      if (job.status === 'concluded') throw new DiskMirrorError(`mirror ${jobId}`, job.error ?? 'the job ended before it was READY');
      if (signal?.aborted) {
        await abortMirrors(qmp, [jobId]);
        signal.throwIfAborted();
      }
      await wake.wait(PROGRESS_INTERVAL_MS);
    }
  } finally {
    wake.dispose();
  }
}

/**
 * On the source, once the migration has completed: ends the READY mirrors `jobIds` so that each
 * target holds exactly the source disk (`block-job-cancel` after READY: the rest is copied and
 * flushed, the source is not switched over), dismisses them and deletes their NBD client nodes.
 * Jobs already gone count as finished (a retried call). Throws {@link DiskMirrorError} if the
 * source VM runs, if a job is not READY (the target would be incomplete) or ends with an error:
 * the destination's disks are then not to be trusted, and the failed jobs stay for
 * {@link abortMirrors}.
 */
export async function finishMirrors(qmp: QmpClient, jobIds: readonly string[]): Promise<void> {
  const watched = new Set(jobIds);
  const wake = QmpWakeup.watch(qmp, (e) => e.event === 'JOB_STATUS_CHANGE' && watched.has(String(e.data.id)));
  try {
    // Ended while the guest still writes, a mirror would leave the destination an outdated copy.
    if ((await qmp.queryStatus()).running) {
      throw new DiskMirrorError(`mirror ${jobIds.join(', ')}`, 'the source VM still runs; finish the mirrors only once the migration has completed');
    }
    const jobs = (await queryJobs(qmp)).filter((j) => watched.has(j.id));
    const unready = jobs.filter((j) => !['ready', 'standby', 'waiting', 'pending', 'concluded'].includes(j.status));
    if (unready.length > 0) {
      throw new DiskMirrorError(`mirror ${unready.map((j) => j.id).join(', ')}`, `not READY (${unready.map((j) => j.status).join(', ')}): the copy is incomplete`);
    }
    for (const j of jobs) if (j.status === 'ready' || j.status === 'standby') await ignoreRefusal(qmp.execute('block-job-cancel', { device: j.id }, EmptyReturnSchema));
    const ended = await untilConcluded(qmp, jobs.map((j) => j.id), wake);
    const failed = ended.filter((j) => j.error !== undefined);
    if (failed.length > 0) throw new DiskMirrorError(`mirror ${failed.map((j) => j.id).join(', ')}`, failed.map((j) => j.error).join('; '));
    for (const j of ended) await ignoreRefusal(qmp.execute('job-dismiss', { id: j.id }, EmptyReturnSchema));
    for (const id of jobIds) await deleteNode(qmp, targetNode(id));
  } finally {
    wake.dispose();
  }
}

/**
 * On the source: drops the mirrors `jobIds` at once, whatever their state (a forced cancel: the
 * targets are left incomplete), dismisses them and deletes their NBD client nodes. The source's
 * own disks are not touched. Idempotent; call after a failed or cancelled migration or mirror.
 */
export async function abortMirrors(qmp: QmpClient, jobIds: readonly string[]): Promise<void> {
  const watched = new Set(jobIds);
  const wake = QmpWakeup.watch(qmp, (e) => e.event === 'JOB_STATUS_CHANGE' && watched.has(String(e.data.id)));
  try {
    const jobs = (await queryJobs(qmp)).filter((j) => watched.has(j.id));
    for (const j of jobs) if (j.status !== 'concluded') await ignoreRefusal(qmp.execute('block-job-cancel', { device: j.id, force: true }, EmptyReturnSchema));
    const ended = await untilConcluded(qmp, jobs.map((j) => j.id), wake);
    for (const j of ended) await ignoreRefusal(qmp.execute('job-dismiss', { id: j.id }, EmptyReturnSchema));
    for (const id of jobIds) await deleteNode(qmp, targetNode(id));
  } finally {
    wake.dispose();
  }
}

function targetNode(jobId: string): string {
  return `${jobId}-nbd`;
}

function queryExports(qmp: QmpClient): Promise<{ id: string; type: string; 'node-name': string }[]> {
  return qmp.execute('query-block-exports', undefined, BlockExportsSchema);
}

/** Waits until every job of `ids` has concluded and returns them; jobs that vanish meanwhile are left out. */
async function untilConcluded(qmp: QmpClient, ids: readonly string[], wake: QmpWakeup): Promise<JobInfo[]> {
  const until = Date.now() + END_TIMEOUT_MS;
  for (;;) {
    wake.clear();
    const jobs = (await queryJobs(qmp)).filter((j) => ids.includes(j.id));
    if (jobs.every((j) => j.status === 'concluded')) return jobs;
    if (Date.now() >= until) {
      const open = jobs.filter((j) => j.status !== 'concluded');
      throw new DiskMirrorError(`mirror ${open.map((j) => j.id).join(', ')}`, `still ${open.map((j) => j.status).join(', ')} ${END_TIMEOUT_MS} ms after it was told to end`);
    }
    await wake.wait(PROGRESS_INTERVAL_MS);
  }
}

async function deleteNode(qmp: QmpClient, node: string): Promise<void> {
  if ((await queryBlockNodes(qmp)).has(node)) await qmp.execute('blockdev-del', { 'node-name': node }, EmptyReturnSchema);
}

/** Awaits a command whose refusal means there is nothing left to do (the job already ended or was dismissed). */
async function ignoreRefusal(command: Promise<unknown>): Promise<void> {
  try {
    await command;
  } catch (e) {
    if (!(e instanceof QmpCommandError)) throw e;
  }
}
