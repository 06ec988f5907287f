/** Predicates that say which events may change networks, security groups or a VM's NICs. */
import type { HerdEvent } from '@herd/api';
import { eventOperation } from './event-filters.js';

/** Events that add, change or remove a NIC (their target is the VM). */
export function isNicChange(e: HerdEvent): boolean {
  return e.type === 'vm.nic_added' || e.type === 'vm.nic_removed' || e.type === 'vm.nic_updated';
}

/**
 * Events that may change a NIC count: NIC events, and every operation that ends (a VM created
 * with NICs, or deleted with its NICs, is an operation on the VM, not a NIC event).
 */
function changesNicCounts(e: HerdEvent): boolean {
  if (isNicChange(e)) return true;
  const op = eventOperation(e);
  return op !== undefined && (op.kind.startsWith('nic.') || op.status === 'succeeded' || op.status === 'failed');
}

/** Events that may change the list of networks, their state or their NIC counts. */
export function isNetworkEvent(e: HerdEvent): boolean {
  return e.type.startsWith('network.') || changesNicCounts(e);
}

/** Events that may change security groups, their rules or their NIC counts. */
export function isSecgroupEvent(e: HerdEvent): boolean {
  return e.type.startsWith('secgroup.') || changesNicCounts(e);
}
