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
