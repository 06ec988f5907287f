/**
 * The caller and project of a request, kept on the request object as well as in the request
 * scope, so that hooks that run after the handler (logging, the audit log) can read them.
 */
import type { FastifyRequest } from 'fastify';
import type { RouteId } from '@herd/api';
import type { RequestScope } from '../tenancy/request-scope.js';

const scopes = new WeakMap<FastifyRequest, RequestScope>();

/** Records the scope of `request` once it is authorized. */
export function setRequestScope(request: FastifyRequest, scope: RequestScope): void {
  scopes.set(request, scope);
}

/** The scope of `request`; undefined before authorization or when it was refused. */
export function requestScope(request: FastifyRequest): RequestScope | undefined {
  return scopes.get(request);
}

/** The route id of `request` (from the route table), undefined outside the API routes. */
export function routeIdOf(request: FastifyRequest): RouteId | undefined {
  return (request.routeOptions.config as { routeId?: RouteId } | undefined)?.routeId;
}
