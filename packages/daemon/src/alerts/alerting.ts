/**
 * Puts alerting together for the daemon: alert rules, anomaly detection and forecasts follow
 * every batch the metrics store writes, and the webhook dispatcher delivers their events (and
 * any other event a webhook asks for). `startAlerting` once the store exists and before the
 * sampler starts; `close` before the database closes.
 */
import type { Logger } from 'pino';
import { AnomalyDetector } from '../anomaly/anomaly-detector.js';
import type { EventLog } from '../events/event-log.js';
import { ForecastEngine } from '../forecast/forecast-engine.js';
import type { MetricsStore } from '../metrics/metric-types.js';
import type { Db } from '../store/open-database.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import { WebhookRepo } from '../webhooks/webhook-repo.js';
import { WebhookService } from '../webhooks/webhook-service.js';
import { AlertEngine } from './alert-engine.js';
import { AlertRuleRepo } from './alert-rule-repo.js';
import { AlertService } from './alert-service.js';
import { describeTargetWith } from './metric-target.js';
import { readOpenAlerts } from './open-alerts.js';

/** What alerting needs from the daemon. */
export interface AlertingDeps {
  readonly db: Db;
  readonly events: EventLog;
  readonly store: MetricsStore;
  readonly vms: VmRepo;
  readonly log: Logger;
  readonly version: string;
  /** The sampler's interval: an alert resolves as stale after 3 intervals without data (at least 2 min). */
  readonly sampleIntervalMs: number;
}

/** Running alerting: the services for the API, and how to stop. */
export interface Alerting {
  /** Spread into the HTTP services. */
  readonly services: {
    readonly alerts: AlertService;
    readonly anomalies: AnomalyDetector;
    readonly forecasts: ForecastEngine;
    readonly webhooks: WebhookService;
  };
  close(): Promise<void>;
}

/** Starts alert rules, anomaly detection, forecasts and webhook delivery. */
export async function startAlerting(d: AlertingDeps): Promise<Alerting> {
  const log = d.log.child({ component: 'alerts' });
  const describeTarget = describeTargetWith(async (id) => (await d.vms.get(id))?.name);
  const rules = new AlertRuleRepo(d.db);
  const engine = new AlertEngine({ events: d.events, describeTarget, log, staleAfterMs: Math.max(120_000, 3 * d.sampleIntervalMs) });
  engine.attach(d.store, await rules.list(), await readOpenAlerts(d.db));
  const anomalies = new AnomalyDetector({ events: d.events, describeTarget, log });
  anomalies.attach(d.store);
  const forecasts = new ForecastEngine({ events: d.events, log });
  forecasts.attach(d.store);
  const hooks = new WebhookRepo(d.db);
  const dispatcher = new WebhookDispatcher({ repo: hooks, log, userAgent: `herd/${d.version}` });
  await dispatcher.start(d.events);
  const findVm = async (ref: string) => d.vms.find(ref).catch(() => undefined);
  return {
    services: { alerts: new AlertService(rules, engine, findVm), anomalies, forecasts, webhooks: new WebhookService(hooks, dispatcher) },
    close: async () => {
      engine.close();
      anomalies.close();
      forecasts.close();
      await Promise.all([engine.settled(), anomalies.settled(), forecasts.settled()]);
      await dispatcher.close();
    },
  };
}
