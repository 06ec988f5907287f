/** Predicates that say which events concern which views. */
import type { HerdEvent, Operation } from '@herd/api';

/** The operation an `operation.*` event carries, if any. */
export function eventOperation(e: HerdEvent): Operation | undefined {
  return e.target.type === 'operation' ? (e.data.operation as Operation | undefined) : undefined;
}

/** Events that may change the list of VMs or their states. */
export function isVmEvent(e: HerdEvent): boolean {
  return e.target.type === 'vm' || eventOperation(e)?.target.type === 'vm';
}

/** Events about one VM (by id), including the operations on it. */
export function isEventFor(vmId: string): (e: HerdEvent) => boolean {
  return (e) => (e.target.type === 'vm' && e.target.id === vmId) || eventOperation(e)?.target.id === vmId;
}

/** Events that change images. */
export function isImageEvent(e: HerdEvent): boolean {
  return e.target.type === 'image' || eventOperation(e)?.target.type === 'image';
}

/** Events that change operations. */
export function isOperationEvent(e: HerdEvent): boolean {
  return e.target.type === 'operation';
}

/**
 * Events that may change pools or volumes (their list, space or attachments): pool and volume
 * events, operations on volumes, and any operation that finishes (creating, cloning, restoring
 * or deleting a VM makes or removes volumes, and every finished job may have used space).
 */
export function isStorageEvent(e: HerdEvent): boolean {
  if (e.target.type === 'pool' || e.target.type === 'volume') return true;
  const op = eventOperation(e);
  return op !== undefined && (op.target.type === 'volume' || op.status === 'succeeded' || op.status === 'failed');
}

/** Events that change which disks a VM has or their sizes (the volume is the event's target, not the VM). */
export function isDiskChange(e: HerdEvent): boolean {
  return e.type === 'volume.attached' || e.type === 'volume.detached' || e.type === 'volume.resized';
}

/** Events about operation `id`. */
export function isOperation(id: string): (e: HerdEvent) => boolean {
  return (e) => e.target.type === 'operation' && e.target.id === id;
}
