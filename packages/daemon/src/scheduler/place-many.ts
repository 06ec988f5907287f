import type { ClaimLedger, LedgerPlacement } from './claim-ledger.js';
import type { VmRequest } from './types.js';

/**
 * Places a batch of VMs through `ledger`, one by one, higher `priority` first (default 0; equal
 * priorities in the order given), so that when room runs out it is the low-priority VMs that
 * find no host. Each placement sees the claims of those before it; a VM that fits nowhere does
 * not stop the rest. Returns one result per VM, in the order given.
 */
export function placeMany(ledger: ClaimLedger, vms: readonly VmRequest[]): LedgerPlacement[] {
  const order = vms.map((_, i) => i).sort((a, b) => (vms[b]!.priority ?? 0) - (vms[a]!.priority ?? 0) || a - b);
  const results = new Array<LedgerPlacement>(vms.length);
  for (const i of order) results[i] = ledger.place(vms[i]!);
  return results;
}
