/**
 * QEMU's background jobs (block jobs such as `backup`, and the `snapshot-save`, `snapshot-load`
 * and `snapshot-delete` jobs): starting a set of them, following them until they end, and
 * dismissing them, so that no job outlives the call that started it and a failed job's error can
 * be read after it ended (jobs herd starts are never auto-dismissed).
 *
 * Following is level-based: a JOB_STATUS_CHANGE event only prompts a fresh `query-jobs`, and
 * events that arrive while a read is in flight collapse into one more read. A job's events can
 * come before the reply to the command that created it (QEMU 7.2 answers `snapshot-save` only
 * after saving, and a job that fails at once has concluded by then), so listening starts first:
 *
 *   -> {"execute": "snapshot-save", "arguments": {"job-id": "save2", "tag": "vm1", ...}}
 *   <- {"event": "JOB_STATUS_CHANGE", "data": {"status": "created", "id": "save2"}, ...}
 *   <- {"event": "JOB_STATUS_CHANGE", "data": {"status": "running", "id": "save2"}, ...}
 *   <- {"event": "JOB_STATUS_CHANGE", "data": {"status": "aborting", "id": "save2"}, ...}
 *   <- {"event": "JOB_STATUS_CHANGE", "data": {"status": "concluded", "id": "save2"}, ...}
 *   <- {"return": {}}
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { QmpClient } from './qmp-client.js';
import { QmpCommandError } from './qmp-errors.js';
import { QmpWakeup } from './qmp-wakeup.js';
import { EmptyReturnSchema } from './qmp-messages.js';

/** One entry of the `query-jobs` reply (QAPI `JobInfo`). */
export const JobInfoSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  /** QAPI `JobStatus`: created, running, paused, ready, standby, waiting, pending, aborting, concluded, null. */
  status: Type.String(),
  'current-progress': Type.Integer({ minimum: 0 }),
  'total-progress': Type.Integer({ minimum: 0 }),
  /** QEMU's message, once a job has failed or been cancelled. */
  error: Type.Optional(Type.String()),
});
/** Decoded `query-jobs` entry. */
export type JobInfo = Static<typeof JobInfoSchema>;

const JobListSchema = Type.Array(JobInfoSchema);

/** How far a set of jobs has got together, in the jobs' own units: bytes for block jobs, 0 then 1 for snapshot jobs. */
export interface JobProgress {
  readonly done: number;
  readonly total: number;
}

/** Progress as a percentage (0 while the total is unknown). */
export function percent(p: JobProgress): number {
  return p.total > 0 ? Math.min(100, (p.done / p.total) * 100) : 0;
}

/** How one job ended. */
export interface JobOutcome {
  readonly id: string;
  /** QEMU's message if the job failed or was cancelled; absent if it succeeded. */
  readonly error?: string;
  /** The job's total work when it ended (for a backup, the bytes it had to copy). */
  readonly total: number;
}

/** Options for {@link runJobs} and {@link runJob}. */
export interface RunJobsOptions {
  /** Budget for starting the jobs and for all of them to end. */
  readonly timeoutMs: number;
  /** Called with the progress of all the jobs together, about twice a second while they run. */
  readonly onProgress?: (progress: JobProgress) => void;
}

/** A job ended with an error; `qemuMessage` is QEMU's own explanation. */
export class JobFailedError extends Error {
  constructor(
    readonly jobId: string,
    readonly qemuMessage: string,
  ) {
    super(`QEMU job ${jobId} failed: ${qemuMessage}`);
    this.name = 'JobFailedError';
  }
}

/** Jobs did not end within their budget; they were cancelled (jobs QEMU cannot cancel may still run). */
export class JobTimeoutError extends Error {
  constructor(
    readonly jobIds: readonly string[],
    readonly timeoutMs: number,
  ) {
    super(`QEMU job${jobIds.length === 1 ? '' : 's'} ${jobIds.join(', ')} did not end within ${timeoutMs} ms and ${jobIds.length === 1 ? 'was' : 'were'} cancelled`);
    this.name = 'JobTimeoutError';
  }
}

const PROGRESS_INTERVAL_MS = 500;
// A cancelled backup ends within one cluster copy; this only bounds a job that ignores job-cancel.
const CANCEL_GRACE_MS = 10_000;

/** `query-jobs`: every job QEMU has and has not yet dismissed. Call while QEMU runs. */
export function queryJobs(qmp: QmpClient): Promise<JobInfo[]> {
  return qmp.execute('query-jobs', undefined, JobListSchema);
}

/**
 * Calls `start` (given the remaining budget in ms), which must create the jobs `ids` with
 * auto-dismiss off, waits until all of them have concluded, dismisses them and returns how each
 * ended, in the order of `ids`. If all of `ids` exist already, `start` is skipped and they are
 * followed instead (a retried operation re-attaches to the jobs it started before); if only some
 * do, throws. On timeout cancels the jobs, dismisses those that end and throws
 * {@link JobTimeoutError}. Rejects with `QmpDisconnectedError` if QEMU goes away, and with
 * `start`'s own error if it fails. Call while QEMU runs, not twice at once for the same ids.
 */
export async function runJobs(
  qmp: QmpClient,
  ids: readonly string[],
  start: (timeoutMs: number) => Promise<void>,
  options: RunJobsOptions,
): Promise<JobOutcome[]> {
  const deadline = Date.now() + options.timeoutMs;
  const watched = new Set(ids);
  const wake = QmpWakeup.watch(qmp, (e) => e.event === 'JOB_STATUS_CHANGE' && typeof e.data.id === 'string' && watched.has(e.data.id));
  try {
    const existing = (await queryJobs(qmp)).filter((j) => watched.has(j.id)).length;
    if (existing === 0) await start(Math.max(1, deadline - Date.now()));
    else if (existing < ids.length) throw new Error(`only some of the QEMU jobs ${ids.join(', ')} exist; they cannot have been started together`);

    const jobs = await follow(qmp, ids, wake, deadline, options.onProgress);
    if (jobs === 'timeout') {
      for (const id of ids) await ignoreRefusal(qmp.execute('job-cancel', { id }, EmptyReturnSchema));
      const after = await follow(qmp, ids, wake, Date.now() + CANCEL_GRACE_MS);
      if (after !== 'timeout') await dismiss(qmp, after);
      throw new JobTimeoutError(ids, options.timeoutMs);
    }
    await dismiss(qmp, jobs);
    return jobs.map((j) => ({ id: j.id, total: j['total-progress'], ...(j.error === undefined ? {} : { error: j.error }) }));
  } finally {
    wake.dispose();
  }
}

/**
 * {@link runJobs} for one job that must succeed: throws {@link JobFailedError} with QEMU's message
 * if it fails. Same preconditions.
 */
export async function runJob(qmp: QmpClient, id: string, start: (timeoutMs: number) => Promise<void>, options: RunJobsOptions): Promise<void> {
  const [outcome] = await runJobs(qmp, [id], start, options);
  if (outcome?.error !== undefined) throw new JobFailedError(id, outcome.error);
}

/** Reads the jobs until all have concluded (returning them) or the deadline passes. */
async function follow(
  qmp: QmpClient,
  ids: readonly string[],
  wake: QmpWakeup,
  deadline: number,
  onProgress?: (p: JobProgress) => void,
): Promise<JobInfo[] | 'timeout'> {
  for (;;) {
    wake.clear(); // an event during the read below prompts another read
    const all = new Map((await queryJobs(qmp)).map((j) => [j.id, j]));
    const jobs = ids.map((id) => all.get(id));
    const gone = ids.filter((_, i) => jobs[i] === undefined);
    if (gone.length > 0) throw new Error(`QEMU job ${gone.join(', ')} vanished before it was seen to end; was it dismissed by another QMP client?`);
    const present = jobs as JobInfo[];
    onProgress?.({
      done: present.reduce((n, j) => n + j['current-progress'], 0),
      total: present.reduce((n, j) => n + j['total-progress'], 0),
    });
    if (present.every((j) => j.status === 'concluded')) return present;
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    await wake.wait(onProgress ? Math.min(left, PROGRESS_INTERVAL_MS) : left);
  }
}

async function dismiss(qmp: QmpClient, jobs: readonly JobInfo[]): Promise<void> {
  for (const j of jobs) if (j.status === 'concluded') await ignoreRefusal(qmp.execute('job-dismiss', { id: j.id }, EmptyReturnSchema));
}

/** Awaits a command whose refusal means there is nothing left to do (the job already ended or was dismissed). */
async function ignoreRefusal(command: Promise<unknown>): Promise<void> {
  try {
    await command;
  } catch (e) {
    if (!(e instanceof QmpCommandError)) throw e;
  }
}
