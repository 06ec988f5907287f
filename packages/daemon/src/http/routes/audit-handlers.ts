/** Handlers of the audit routes: list records, verify the chain. */
import type { HandlerGroup } from '../handler.js';

/** The audit routes (cluster admins only; see `routeAccess` of @herd/api). */
export const auditHandlers: HandlerGroup<'listAudit' | 'verifyAudit'> = (s) => ({
  listAudit: ({ query }) => s.audit.list(query ?? {}),
  verifyAudit: () => s.audit.verify(),
});
