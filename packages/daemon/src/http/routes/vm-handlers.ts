/** Handlers of the `vms` routes (except the console). */
import type { HandlerGroup } from '../handler.js';
import { replyOperation } from '../reply-operation.js';

/** VM routes. */
export const vmHandlers: HandlerGroup<
  'listVms' | 'getVm' | 'updateVm' | 'createVm' | 'deleteVm' | 'startVm' | 'stopVm' | 'restartVm' | 'pauseVm' | 'resumeVm' | 'explainPlacement'
> = (s) => ({
  listVms: () => s.vms.list(),
  getVm: ({ params }) => s.vms.get(params.id),
  updateVm: ({ params, body }) => s.vms.update(params.id, body),
  createVm: async ({ body, query }, reply) => replyOperation(reply, s.ops, await s.vms.create(body), query),
  deleteVm: async ({ params, query }, reply) => replyOperation(reply, s.ops, await s.vms.delete(params.id), query),
  startVm: async ({ params, query }, reply) => replyOperation(reply, s.ops, await s.vms.start(params.id), query),
  stopVm: async ({ params, query, body }, reply) => replyOperation(reply, s.ops, await s.vms.stop(params.id, body), query),
  restartVm: async ({ params, query, body }, reply) => replyOperation(reply, s.ops, await s.vms.restart(params.id, body), query),
  pauseVm: async ({ params, query }, reply) => replyOperation(reply, s.ops, await s.vms.pause(params.id), query),
  resumeVm: async ({ params, query }, reply) => replyOperation(reply, s.ops, await s.vms.resume(params.id), query),
  explainPlacement: ({ params }) => s.vms.explainPlacement(params.id),
});
