/** Handlers of the alert, anomaly, forecast and webhook routes. */
import type { HandlerGroup } from '../handler.js';

type AlertRoutes =
  | 'createAlertRule'
  | 'listAlertRules'
  | 'deleteAlertRule'
  | 'listAlerts'
  | 'listAnomalies'
  | 'listForecasts'
  | 'createWebhook'
  | 'listWebhooks'
  | 'deleteWebhook'
  | 'listWebhookDeliveries';

/** Alert, anomaly, forecast and webhook routes. */
export const alertHandlers: HandlerGroup<AlertRoutes> = (s) => ({
  createAlertRule: async ({ body }, reply) => reply.code(201).send(await s.alerts.createRule(body)),
  listAlertRules: () => s.alerts.listRules(),
  deleteAlertRule: ({ params }) => s.alerts.deleteRule(params.id),
  listAlerts: async ({ query }) => s.alerts.listAlerts(query?.state),
  listAnomalies: async ({ query }) => s.anomalies.list(query?.limit ?? 100),
  listForecasts: async () => s.forecasts.list(),
  createWebhook: async ({ body }, reply) => reply.code(201).send(await s.webhooks.create(body)),
  listWebhooks: () => s.webhooks.list(),
  deleteWebhook: ({ params }) => s.webhooks.delete(params.id),
  listWebhookDeliveries: ({ params, query }) => s.webhooks.deliveries(params.id, query?.status, query?.limit ?? 100),
});
