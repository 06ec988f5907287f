/**
 * Records every state-changing API request in the audit log, after it was answered, refused
 * requests included (401, 403, 404, 409, ...).
 *
 * Failure policy: the record is written in `onResponse`, after the answer was sent, so a
 * request whose record cannot be written has already happened; that is logged at error level.
 * From then on herd fails closed: state-changing requests are refused with `audit_unavailable`
 * (503) while the last append failed. The refusals are themselves recorded, so the first one
 * that can be written lifts the refusal again.
 */
import { HerdError, apiBase } from '@herd/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import { wasRelayed } from './forward-hook.js';
import { requestScope, routeIdOf } from './request-scope-of.js';

/** The path parameters that name a part of the `{id}` resource, in the order they are appended to the target. */
const subTargets = ['snapshot', 'nic', 'rule', 'token', 'user'] as const;

/** Adds the audit hooks to `app`; call once, before the routes are added. */
export function registerAuditHook(app: FastifyInstance, audit: AuditLog, log: Logger): void {
  app.addHook('preHandler', async (request) => {
    const failure = audit.failure;
    if (failure !== undefined && isAudited(request)) throw new HerdError('audit_unavailable', { reason: failure });
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!isAudited(request) || wasRelayed(request)) return;
    const scope = requestScope(request);
    const path = request.url.split('?')[0] ?? request.url;
    try {
      await audit.append({
        user: scope?.principal.userName ?? 'anonymous',
        project: scope?.project?.name ?? null,
        action: routeIdOf(request) ?? 'unknown',
        method: request.method,
        path,
        target: targetOf(request.params),
        query: request.query,
        body: request.body,
        status: reply.statusCode,
      });
    } catch (err) {
      log.error({ err, method: request.method, path, status: reply.statusCode }, 'AUDIT RECORD LOST: the audit log could not be written; state-changing requests are refused until it can');
    }
  });
}

/** True for requests that may change state: API requests other than GET/HEAD/OPTIONS (WebSocket upgrades are GETs). */
function isAudited(request: FastifyRequest): boolean {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return false;
  return request.url === apiBase || request.url.startsWith(`${apiBase}/`) || request.url.startsWith(`${apiBase}?`);
}

/** The resource a request acts on, from its path: `vm-a`, or `vm-a/snap1` for a part of it. */
function targetOf(params: unknown): string | null {
  if (!params || typeof params !== 'object') return null;
  const p = params as Record<string, unknown>;
  if (typeof p.id !== 'string') return null;
  return [p.id, ...subTargets.map((k) => p[k]).filter((v): v is string => typeof v === 'string')].join('/');
}
