/** Runs one VM action over many VMs, a few requests at a time, and counts what was refused. */
import { isActionAllowed, type Vm, type VmAction } from '@herd/api';
import { errorMessage } from './errors.js';
import { runVmAction } from './vm-actions.js';

/** The outcome of a bulk action. */
export interface BulkResult {
  readonly requested: number;
  readonly skipped: number;
  readonly failures: readonly string[];
}

/** Asks for `action` on each VM of `vms` that allows it now; the others are skipped. */
export async function runBulk(vms: readonly Vm[], action: VmAction, concurrency = 8): Promise<BulkResult> {
  const todo = vms.filter((v) => isActionAllowed(v.state, action));
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const vm = todo[next++]!;
      try {
        await runVmAction(vm.id, action);
      } catch (e) {
        failures.push(`${vm.name}: ${errorMessage(e)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  return { requested: todo.length, skipped: vms.length - todo.length, failures };
}
