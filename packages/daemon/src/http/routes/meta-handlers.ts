/** Handlers of hosts, operations and health. */
import { HerdError } from '@herd/api';
import type { HandlerGroup } from '../handler.js';

/** Host, operation and health routes. */
export const metaHandlers: HandlerGroup<'getHealth' | 'listHosts' | 'getHost' | 'listOperations' | 'getOperation'> = (s) => ({
  getHealth: async () => ({ ok: true, version: s.version }),
  listHosts: () => s.hosts.list(),
  getHost: ({ params }) => s.hosts.get(params.id),
  listOperations: ({ query }) => s.ops.list({ ...(query?.status ? { status: query.status } : {}), ...(query?.limit ? { limit: query.limit } : {}) }),
  getOperation: async ({ params, query }) => {
    const op = query?.wait ? await s.ops.wait(params.id, (query.timeoutSeconds ?? 300) * 1000) : await s.ops.get(params.id);
    if (!op) throw new HerdError('not_found', { kind: 'op', name: params.id });
    return op;
  },
});
