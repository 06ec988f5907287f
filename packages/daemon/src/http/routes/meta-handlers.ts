/** Handlers of operations and health. */
import { HerdError } from '@herd/api';
import type { HandlerGroup } from '../handler.js';

/** Operation and health routes. */
export const metaHandlers: HandlerGroup<'getHealth' | 'listOperations' | 'getOperation'> = (s) => ({
  getHealth: async () => ({ ok: true, version: s.version }),
  listOperations: ({ query }) => s.ops.list({ ...(query?.status ? { status: query.status } : {}), ...(query?.limit ? { limit: query.limit } : {}) }),
  getOperation: async ({ params, query }) => {
    const op = query?.wait ? await s.ops.wait(params.id, (query.timeoutSeconds ?? 300) * 1000) : await s.ops.get(params.id);
    if (!op) throw new HerdError('not_found', { kind: 'op', name: params.id });
    return op;
  },
});
