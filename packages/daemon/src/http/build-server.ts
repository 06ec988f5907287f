/**
 * The HTTP server: registers a handler for every route of the route table (and refuses to
 * start if one is missing), validates requests against the same schemas the OpenAPI document
 * shows, and maps every error to the catalogue's `{error: {code, message, details}}`.
 */
import websocket from '@fastify/websocket';
import { Type } from '@sinclair/typebox';
import { HerdError, apiBase, buildOpenApi, routes, type RouteDef } from '@herd/api';
import Fastify, {
  LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { registerAuth } from './auth-hooks.js';
import { registerAuditHook } from './audit-hook.js';
import { registerForwarding } from './forward-hook.js';
import { auditHandlers } from './routes/audit-handlers.js';
import { alertHandlers } from './routes/alert-handlers.js';
import { consoleHandlers, consoleSocket } from './routes/console-handlers.js';
import { eventHandlers } from './routes/event-handlers.js';
import { hostHandlers } from './routes/host-handlers.js';
import { clusterHandlers } from './routes/cluster-handlers.js';
import { imageHandlers } from './routes/image-handlers.js';
import { metaHandlers } from './routes/meta-handlers.js';
import { metricsHandlers, registerPrometheusRoute } from './routes/metrics-handlers.js';
import { networkHandlers } from './routes/network-handlers.js';
import { snapshotHandlers } from './routes/snapshot-handlers.js';
import { storageHandlers } from './routes/storage-handlers.js';
import { tenancyHandlers } from './routes/tenancy-handlers.js';
import { vmHandlers } from './routes/vm-handlers.js';
import { vncHandlers, vncSocket } from './routes/vnc-handlers.js';
import type { WebSocketRoute } from './handler.js';
import type { Services } from './services.js';
import { validationError, validatorCompiler } from './validation.js';
import { registerWebAssets } from './web-assets.js';

// Handlers are typed per route in their groups; here they are only called with validated input.
type AnyHandler = (input: { params: unknown; query: unknown; body: unknown }, reply: FastifyReply, request: FastifyRequest) => Promise<unknown>;

const noQuery = Type.Object({}, { additionalProperties: false });

/**
 * Answers what the router refuses before any route runs (a path that is not valid
 * percent-encoding, a path parameter over its length limit) with the catalogue's body, not
 * Fastify's own.
 */
function routerError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const e = new HerdError('bad_request', { reason: error.message });
  void reply.code(e.status).type('application/json').send(e.toBody());
}

/** Builds the Fastify app (not listening yet); `inject()` works on it for tests. */
export async function buildServer(services: Services, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // herd logs one line per changing request itself (onResponse below), not two per request.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    frameworkErrors: routerError,
  });
  app.setValidatorCompiler(validatorCompiler);
  await app.register(websocket);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let herd: HerdError;
    if (error instanceof HerdError) herd = error;
    else if (error.validation) herd = validationError(error.validation as never, error.validationContext ?? 'body', request.body);
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      herd = new HerdError('unsupported_media_type', { type: request.headers['content-type'] ?? '' });
    else if (error.statusCode && error.statusCode < 500) herd = new HerdError('bad_request', { reason: error.message });
    else {
      request.log.error({ err: error, url: request.url }, 'request failed');
      herd = new HerdError('internal', { reason: error.message });
    }
    void reply.code(herd.status).type('application/json').send(herd.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new HerdError('route_not_found', { method: request.method, url: request.url.split('?')[0] });
    void reply.code(e.status).send(e.toBody());
  });
  // Actions without options may be sent without a body.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'DELETE') request.body = {};
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.url.startsWith(apiBase) && request.method !== 'GET')
      request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  registerAuditHook(app, services.audit, logger);

  const handlers: Record<string, AnyHandler> = {
    ...vmHandlers(services),
    ...imageHandlers(services),
    ...metaHandlers(services),
    ...hostHandlers(services),
    ...clusterHandlers(services),
    ...eventHandlers(services),
    ...consoleHandlers(services),
    ...metricsHandlers(services),
    ...alertHandlers(services),
    ...storageHandlers(services),
    ...snapshotHandlers(services),
    ...vncHandlers(services),
    ...networkHandlers(services),
    ...tenancyHandlers(services),
    ...auditHandlers(services),
  } as unknown as Record<string, AnyHandler>;
  const sockets: Record<string, WebSocketRoute> = {
    getVmConsole: consoleSocket(services),
    getVmVnc: vncSocket(services),
  };

  registerForwarding(app, services);
  registerAuth(app, services);
  registerPrometheusRoute(app, services);
  const openapi = buildOpenApi(services.version);
  app.get(`${apiBase}/openapi.json`, async () => openapi);

  for (const [id, route] of Object.entries(routes) as [string, RouteDef][]) {
    const handler = handlers[id];
    if (!handler) throw new Error(`no handler for route ${id}`);
    const url = apiBase + route.path.replace(/\{(\w+)\}/g, ':$1');
    const schema = {
      ...(route.params ? { params: route.params } : {}),
      // Routes without query parameters still reject unknown ones.
      querystring: route.query ?? noQuery,
      ...(route.body ? { body: route.body } : {}),
    };
    const run = (request: Parameters<AnyHandler>[2], reply: Parameters<AnyHandler>[1]) =>
      handler({ params: request.params, query: request.query, body: request.body }, reply, request);
    if (route.websocket) {
      const ws = sockets[id];
      if (!ws) throw new Error(`no WebSocket handler for route ${id}`);
      app.route({ method: route.method, url, schema, config: { routeId: id }, handler: run, wsHandler: ws.handler, ...(ws.admit ? { preHandler: ws.admit } : {}) });
    } else app.route({ method: route.method, url, schema, config: { routeId: id }, handler: run });
  }
  registerWebAssets(app);
  return app;
}
