/** Handlers of the host routes. */
import type { HandlerGroup } from '../handler.js';

/** Host routes. */
export const hostHandlers: HandlerGroup<'listHosts' | 'getHost' | 'updateHost' | 'deleteHost'> = (s) => ({
  listHosts: () => s.hosts.list(),
  getHost: ({ params }) => s.hosts.get(params.id),
  updateHost: ({ params, body }) => s.hosts.update(params.id, body),
  deleteHost: ({ params }) => s.hosts.remove(params.id),
});
