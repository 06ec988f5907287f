/** Handlers of the pool and volume routes. */
import type { HandlerGroup } from '../handler.js';
import { replyOperation } from '../reply-operation.js';

/** Pool and volume routes. */
export const storageHandlers: HandlerGroup<
  | 'listPools'
  | 'getPool'
  | 'createPool'
  | 'deletePool'
  | 'listVolumes'
  | 'getVolume'
  | 'createVolume'
  | 'deleteVolume'
  | 'resizeVolume'
  | 'attachVolume'
  | 'detachVolume'
> = (s) => ({
  listPools: () => s.pools.list(),
  getPool: ({ params }) => s.pools.get(params.id),
  createPool: async ({ body }, reply) => reply.code(201).send(await s.pools.create(body)),
  deletePool: ({ params }) => s.pools.delete(params.id),
  listVolumes: ({ query }) => s.volumes.list(query),
  getVolume: ({ params }) => s.volumes.get(params.id),
  createVolume: async ({ body }, reply) => reply.code(201).send(await s.volumes.create(body)),
  deleteVolume: ({ params }) => s.volumes.delete(params.id),
  resizeVolume: ({ params, body }) => s.volumes.resize(params.id, body),
  attachVolume: async ({ params, body, query }, reply) => replyOperation(reply, s.ops, await s.volumes.attach(params.id, body), query),
  detachVolume: async ({ params, query }, reply) => replyOperation(reply, s.ops, await s.volumes.detach(params.id), query),
});
