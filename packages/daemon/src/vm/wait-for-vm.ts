/** Waiting for a VM's record to reach a condition (the reconciler got it there). */
import { HerdError } from '@herd/api';
import type { VmRow } from '../store/schema.js';
import type { VmRepo } from './vm-repo.js';

/** Resolves with the VM's row once `ok(row)` holds; throws timeout after `timeoutMs`, not_found if it goes. */
export async function waitForVm(vms: VmRepo, id: string, ok: (row: VmRow) => boolean, what: string, timeoutMs: number): Promise<VmRow> {
  const now = await vms.get(id);
  if (!now) throw new HerdError('not_found', { kind: 'vm', name: id });
  if (ok(now)) return now;
  return new Promise<VmRow>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new HerdError('timeout', { seconds: Math.round(timeoutMs / 1000), what, id }));
    }, timeoutMs);
    const off = vms.onChange((changed, row) => {
      if (changed !== id) return;
      if (!row) {
        clearTimeout(timer);
        off();
        reject(new HerdError('not_found', { kind: 'vm', name: id }));
      } else if (ok(row)) {
        clearTimeout(timer);
        off();
        resolve(row);
      }
    });
  });
}
