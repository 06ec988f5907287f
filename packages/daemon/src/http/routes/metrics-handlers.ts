/**
 * Metrics routes: `GET /api/v1/metrics` (one series over a range), `/metrics/series`,
 * `/metrics/latest`, and the Prometheus exposition at `GET /metrics`, outside the versioned API
 * (where Prometheus looks by default; it is not JSON, so it is not in the OpenAPI document).
 */
import type { FastifyInstance } from 'fastify';
import type { HandlerGroup } from '../handler.js';
import { requireClusterAdmin } from '../auth-hooks.js';
import type { Services } from '../services.js';

/** The metrics routes of the route table. */
export const metricsHandlers: HandlerGroup<'queryMetrics' | 'listMetricSeries' | 'getMetricsLatest'> = (s) => ({
  queryMetrics: ({ query }) => s.metrics.query(query),
  listMetricSeries: () => s.metrics.series(),
  getMetricsLatest: () => s.metrics.latest(),
});

/** Registers `GET /metrics`, the Prometheus text exposition. */
export function registerPrometheusRoute(app: FastifyInstance, services: Services): void {
  // Every project's VMs are in it: cluster admins only (Prometheus sends a bearer token).
  app.get('/metrics', async (request, reply) => {
    await requireClusterAdmin(request, services);
    const { contentType, body } = await services.metrics.prometheus();
    return reply.type(contentType).send(body);
  });
}
