/**
 * Authentication and authorization of every API request, before validation and before any
 * handler: the caller is found from a bearer token, root's peer credentials on the local
 * socket, another host's signature on a request it relayed, or (console WebSockets only) a
 * console ticket; the route's declared access is checked; and the handler then runs inside the
 * request's scope (caller and project).
 */
import { HerdError, projectHeader, routeAccess, type RouteId } from '@herd/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forwardHeaders, type ForwardClaim } from '../cluster/forward-signature.js';
import { runInScope, type Principal } from '../tenancy/request-scope.js';
import { requestScope, routeIdOf, setRequestScope } from './request-scope-of.js';
import type { Services } from './services.js';

// Routes a browser opens as a WebSocket, which cannot carry a header: a ticket authenticates them.
const ticketRoutes = new Set<RouteId>(['getVmConsole', 'getVmVnc']);

/** Whether route `id` is a WebSocket that a console ticket opens (checked by the host that issued it). */
export function isTicketRoute(id: RouteId): boolean {
  return ticketRoutes.has(id);
}

const forwardClaims = new WeakMap<FastifyRequest, ForwardClaim | undefined>();

/**
 * The checked claim of a request another host relayed, undefined for one it did not; throws
 * unauthenticated when the signature is forged, stale or incomplete. Checked once per request.
 */
export function forwardClaimOf(request: FastifyRequest, s: Services): ForwardClaim | undefined {
  if (forwardClaims.has(request)) return forwardClaims.get(request);
  const h = (name: string) => {
    const v = request.headers[name];
    if (Array.isArray(v)) throw new HerdError('unauthenticated', { reason: `the forwarded request has ${name} more than once` });
    return v;
  };
  const claim = s.auth.authenticator.forwardClaim(request.method, request.url, headerProject(request), {
    by: h(forwardHeaders.by),
    actingUser: h(forwardHeaders.actingUser),
    time: h(forwardHeaders.time),
    signature: h(forwardHeaders.signature),
  });
  forwardClaims.set(request, claim);
  return claim;
}

/** Registers the hooks on `app`; call before the routes are added. */
export function registerAuth(app: FastifyInstance, s: Services): void {
  app.addHook('onRequest', async (request) => {
    const id = routeIdOf(request);
    if (!id || routeAccess[id].scope === 'public') return;
    // A forged forward is refused even where a ticket would let the caller in.
    forwardClaimOf(request, s);
    const params = (request.params ?? {}) as Record<string, string>;
    const ticketHolder = ticketRoutes.has(id) ? ticketOf(request, s, params.id ?? '') : undefined;
    let principal: Principal;
    let projectRef = headerProject(request);
    if (ticketHolder) {
      principal = await s.auth.authenticator.principalOf(ticketHolder.userId, 'ticket');
      if (request.headers.authorization !== undefined) {
        const caller = await s.auth.authenticator.authenticate(credentials(request, s));
        if (caller.userId !== principal.userId) throw new HerdError('ticket_invalid', { reason: 'was issued to another user', name: params.id ?? '' });
      }
      projectRef = ticketHolder.projectId;
    } else principal = await s.auth.authenticator.authenticate(credentials(request, s));
    setRequestScope(request, await s.auth.authorizer.authorize(id, principal, params, projectRef));
  });
  // After body parsing and validation, so that the scope reaches the handler (and whatever it
  // starts) whichever way the body arrived.
  app.addHook('preHandler', (request, _reply, done) => {
    const scope = requestScope(request);
    if (scope) runInScope(scope, done);
    else done();
  });
}

/** Answers 401 on /metrics (Prometheus) unless a cluster admin asks. */
export async function requireClusterAdmin(request: FastifyRequest, s: Services): Promise<void> {
  const principal = await s.auth.authenticator.authenticate(credentials(request, s));
  if (!principal.clusterAdmin) throw new HerdError('forbidden', { who: principal.userName, action: 'read /metrics', reason: 'only cluster administrators may' });
}

function credentials(request: FastifyRequest, s: Services) {
  const peerUid = s.auth.peerUid(request.raw.socket);
  const forwarded = forwardClaimOf(request, s);
  return {
    ...(request.headers.authorization !== undefined ? { authorization: request.headers.authorization } : {}),
    ...(peerUid !== undefined ? { peerUid } : {}),
    ...(forwarded !== undefined ? { forwarded } : {}),
  };
}

function headerProject(request: FastifyRequest): string | undefined {
  const v = request.headers[projectHeader];
  if (Array.isArray(v)) throw new HerdError('bad_request', { reason: `send the ${projectHeader} header once` });
  return v === undefined || v === '' ? undefined : v;
}

// A console WebSocket without a token stands or falls with its ticket: a missing, spent or
// expired one is ticket_invalid (say so, rather than "no token").
function ticketOf(request: FastifyRequest, s: Services, vm: string) {
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return undefined;
  const ticket = (request.query as { ticket?: unknown } | undefined)?.ticket;
  const holder = typeof ticket === 'string' ? s.vnc.holder(ticket) : undefined;
  if (holder || request.headers.authorization !== undefined) return holder;
  if (typeof ticket !== 'string') throw new HerdError('ticket_invalid', { reason: 'is missing (?ticket=)', name: vm });
  throw new HerdError('ticket_invalid', { reason: 'is unknown, has expired or was already used', name: vm });
}
