/**
 * Runs the work of an operation in the background and records how it ended. Work that is not
 * a VM state change (snapshots, clones, backups, attachments) goes through here; a daemon that
 * dies mid-way finds the operation unfinished at the next start and fails it
 * ({@link failInterrupted}), while the reconcilers repair what the work left half done.
 */
import { HerdError, type OperationKind } from '@herd/api';
import type { Logger } from 'pino';
import type { OperationStore } from './operation-store.js';

/** Reports progress (0-100) and what is happening. */
export type Progress = (pct: number, message?: string) => void;

/** Runs `work` for operation `opId`: succeeded with its result, or failed with its error. Never throws. */
export async function runOperation(
  ops: OperationStore,
  log: Logger,
  opId: string,
  kind: OperationKind,
  work: (progress: Progress) => Promise<Record<string, unknown>>,
): Promise<void> {
  try {
    const result = await work((pct, message) => void ops.progress(opId, pct, message));
    await ops.succeed(opId, result);
  } catch (e) {
    const err = e instanceof HerdError ? e : new HerdError('operation_failed', { kind, reason: e instanceof Error ? e.message : String(e) });
    log.warn({ operation: opId, kind, err: err.message }, 'operation failed');
    await ops.fail(opId, err);
  }
}

/** Fails every unfinished operation of these kinds: a daemon restart interrupted them. */
export async function failInterrupted(ops: OperationStore, kinds: readonly string[]): Promise<void> {
  for (const op of await ops.listUnfinished()) {
    if (!kinds.includes(op.kind)) continue;
    await ops.fail(op.id, new HerdError('operation_failed', { kind: op.kind, reason: 'interrupted by a daemon restart; check the result and run it again' }));
  }
}
