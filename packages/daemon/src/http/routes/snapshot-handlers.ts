/** Handlers of the snapshot, clone and backup routes. */
import { checkHostPath } from '../host-paths.js';
import type { HandlerGroup } from '../handler.js';
import { replyOperation } from '../reply-operation.js';

/** Snapshot, clone and backup routes. */
export const snapshotHandlers: HandlerGroup<
  | 'listSnapshots'
  | 'createSnapshot'
  | 'revertSnapshot'
  | 'deleteSnapshot'
  | 'cloneVm'
  | 'createBackup'
  | 'listBackups'
  | 'deleteBackup'
  | 'restoreBackup'
  | 'createImageFromVm'
> = (s) => ({
  listSnapshots: ({ params }) => s.snapshots.list(params.id),
  createSnapshot: async ({ params, body, query }, reply) => replyOperation(reply, s.ops, await s.snapshots.create(params.id, body), query),
  revertSnapshot: async ({ params, query }, reply) => replyOperation(reply, s.ops, await s.snapshots.revert(params.id, params.snapshot), query),
  deleteSnapshot: async ({ params, query }, reply) => replyOperation(reply, s.ops, await s.snapshots.delete(params.id, params.snapshot), query),
  cloneVm: async ({ params, body, query }, reply) => replyOperation(reply, s.ops, await s.clones.clone(params.id, body), query),
  createBackup: async ({ params, body, query }, reply, request) => {
    checkHostPath(request, 'to', body.to, () => true);
    return replyOperation(reply, s.ops, await s.backups.create(params.id, body), query);
  },
  listBackups: ({ query }) => s.backups.list(query),
  deleteBackup: ({ params }) => s.backups.delete(params.id),
  restoreBackup: async ({ body, query }, reply, request) => {
    checkHostPath(request, 'archive', body.archive);
    return replyOperation(reply, s.ops, await s.backups.restore(body), query);
  },
  createImageFromVm: async ({ body, query }, reply) => replyOperation(reply, s.ops, await s.clones.imageFromVm(body), query),
});
