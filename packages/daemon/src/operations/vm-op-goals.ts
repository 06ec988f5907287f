/**
 * When a VM operation is finished: each kind of VM operation waits for the VM record to reach a
 * goal. Pure, so the rules can be read (and tested) in one place.
 */
import { HerdError, type OperationKind } from '@herd/api';
import type { VmRow } from '../store/schema.js';

/** Where an operation stands with respect to its VM. */
export type GoalCheck = { readonly kind: 'pending' } | { readonly kind: 'done' } | { readonly kind: 'failed'; readonly error: HerdError };

const pending: GoalCheck = { kind: 'pending' };
const doneCheck: GoalCheck = { kind: 'done' };
const failed = (error: HerdError): GoalCheck => ({ kind: 'failed', error });

/** Parameters stored with a VM operation. */
export interface VmOpParams {
  /** For restarts: the boot generation the VM must reach. */
  readonly generation?: number;
  /** For create: whether the VM was to be started. */
  readonly start?: boolean;
}

/** Checks VM operation `kind` against the VM as it is now (undefined once deleted). */
export function checkVmGoal(kind: OperationKind, params: VmOpParams, row: VmRow | undefined, name: string): GoalCheck {
  if (kind === 'vm.delete') return row ? pending : doneCheck;
  if (!row) return failed(new HerdError('operation_cancelled', { id: '', reason: `VM '${name}' was deleted` }));
  if (row.deleting) return failed(new HerdError('operation_cancelled', { id: '', reason: `VM '${name}' is being deleted` }));
  const startFailed =
    row.state === 'error' ? failed(new HerdError('qemu_failed', { name: row.name, reason: row.last_error ?? 'unknown error' })) : undefined;
  switch (kind) {
    case 'vm.create':
      if (!params.start) return doneCheck;
      return startFailed ?? (row.state === 'running' ? doneCheck : pending);
    case 'vm.start':
    case 'vm.resume':
      if (startFailed) return startFailed;
      if (row.state === 'running') return doneCheck;
      if (row.desired_state === 'stopped') return failed(superseded(row, 'it was asked to stop'));
      return pending;
    case 'vm.restart':
      if (startFailed) return startFailed;
      if (row.boot_generation >= (params.generation ?? 0) && row.state === 'running') return doneCheck;
      return pending;
    case 'vm.pause':
      if (row.state === 'paused') return doneCheck;
      if (row.desired_state !== 'paused') return failed(superseded(row, `it was asked to be ${row.desired_state}`));
      return pending;
    case 'vm.stop':
      if (row.state === 'stopped' || row.state === 'error') return doneCheck;
      if (row.desired_state !== 'stopped') return failed(superseded(row, `it was asked to be ${row.desired_state}`));
      return pending;
    default:
      return pending;
  }
}

function superseded(row: VmRow, why: string): HerdError {
  return new HerdError('operation_cancelled', { id: '', reason: `VM '${row.name}': ${why}` });
}
