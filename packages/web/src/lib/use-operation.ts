/**
 * `useOperation`: one operation, read again whenever an event says it changed, so a long
 * action (a snapshot with memory, a full clone, a backup) shows its progress while it runs.
 */
import type { Operation } from '@herd/api';
import { client } from './client.js';
import { isOperation } from './event-filters.js';
import { useLive, type Live } from './use-live.js';

const never = () => false;
const nothing = () => Promise.resolve(undefined);

/** The live state of operation `id`; no reads while `id` is undefined. */
export function useOperation(id: string | undefined): Live<Operation | undefined> {
  return useLive<Operation | undefined>(id ? () => client.call('getOperation', { params: { id } }) : nothing, id ? isOperation(id) : never, id ?? '');
}

/** Whether `op` is still under way. */
export function isActive(op: Operation | undefined): boolean {
  return op?.status === 'pending' || op?.status === 'running';
}
