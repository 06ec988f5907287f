/**
 * Alerts, anomalies, forecasts and webhooks: what herd says when a metric crosses a line, departs
 * from its normal, or trends towards exhaustion, and where it sends those events.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Name, Nullable, Timestamp, Uuid } from './common.js';

/** A metric name as the sampler writes it, e.g. `vm_cpu_percent`. */
export const MetricName = Type.String({ pattern: '^[a-z_][a-z0-9_]*$', minLength: 1, maxLength: 100 });

/** How bad an alert is. */
export const alertSeverities = ['info', 'warning', 'critical'] as const;
/** How bad an alert is. */
export type AlertSeverity = (typeof alertSeverities)[number];
const Severity = Type.Union(alertSeverities.map((s) => Type.Literal(s)));

/** What a rule compares: above (`>`) or below (`<`) the threshold. */
export const alertComparisons = ['>', '<'] as const;
/** What a rule compares. */
export type AlertComparison = (typeof alertComparisons)[number];
const Comparison = Type.Union(alertComparisons.map((c) => Type.Literal(c)));

/** What a series is about: a VM, the host, or a storage pool. */
export const MetricTarget = Type.Object({
  type: Type.Union([Type.Literal('vm'), Type.Literal('host'), Type.Literal('pool'), Type.Literal('other')]),
  id: Type.String({ description: 'the series target: a VM id, `host`, or a pool name' }),
  name: Type.String(),
});
/** What a series is about. */
export type MetricTarget = Static<typeof MetricTarget>;

/** Body of `POST /alert-rules`. */
export const AlertRuleCreate = Type.Object(
  {
    name: Name,
    metric: MetricName,
    target: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'a VM name or id, `host`, a pool name, or `*` (the default) for every target of the metric',
      }),
    ),
    op: Comparison,
    threshold: Type.Number(),
    forSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, description: 'how long the condition must hold before the alert fires (default 0)' })),
    severity: Type.Optional(Severity),
  },
  { additionalProperties: false, $id: 'AlertRuleCreate' },
);
/** Body of `POST /alert-rules`. */
export type AlertRuleCreate = Static<typeof AlertRuleCreate>;

/** An alert rule. */
export const AlertRule = Type.Object(
  {
    id: Uuid,
    name: Name,
    metric: MetricName,
    target: Type.String({ description: 'the series target the rule watches (a VM id, `host`, a pool), or `*`' }),
    targetName: Type.String({ description: 'the target as given (a VM name rather than its id)' }),
    op: Comparison,
    threshold: Type.Number(),
    forSeconds: Type.Integer(),
    severity: Severity,
    createdAt: Timestamp,
  },
  { $id: 'AlertRule' },
);
/** An alert rule. */
export type AlertRule = Static<typeof AlertRule>;

/** States of an alert: the condition holds but not yet long enough, it fires, or it is over. */
export const alertStates = ['pending', 'firing', 'resolved'] as const;
/** States of an alert. */
export type AlertState = (typeof alertStates)[number];

/** One rule's verdict on one series. */
export const Alert = Type.Object(
  {
    rule: Name,
    ruleId: Uuid,
    metric: MetricName,
    target: MetricTarget,
    severity: Severity,
    state: Type.Union(alertStates.map((s) => Type.Literal(s))),
    op: Comparison,
    threshold: Type.Number(),
    value: Type.Number({ description: 'the latest value of the series' }),
    since: Timestamp,
    firedAt: Nullable(Timestamp),
    resolvedAt: Nullable(Timestamp),
    reason: Nullable(Type.String({ description: 'why it resolved: the value recovered, the data stopped, or the rule was deleted' })),
  },
  { $id: 'Alert' },
);
/** One rule's verdict on one series. */
export type Alert = Static<typeof Alert>;

/** `GET /alerts`. */
export const AlertListQuery = Type.Object(
  { state: Type.Optional(Type.Union(alertStates.map((s) => Type.Literal(s)))) },
  { additionalProperties: false },
);

/** A departure of a series from its learned normal. */
export const Anomaly = Type.Object(
  {
    metric: MetricName,
    target: MetricTarget,
    time: Timestamp,
    value: Type.Number(),
    baseline: Type.Number({ description: 'the learned level before this point' }),
    scale: Type.Number({ description: 'the learned spread (robust standard deviation)' }),
    score: Type.Number({ description: 'robust z-score: (value - baseline) / scale' }),
  },
  { $id: 'Anomaly' },
);
/** A departure of a series from its learned normal. */
export type Anomaly = Static<typeof Anomaly>;

/** `GET /anomalies`. */
export const AnomalyListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
);

/** A trend-based time to exhaustion of a pool or of host memory. */
export const Forecast = Type.Object(
  {
    resource: Type.Union([Type.Literal('pool'), Type.Literal('host-memory')]),
    target: MetricTarget,
    metric: MetricName,
    used: Type.Number({ description: 'smoothed current use, bytes' }),
    capacity: Type.Number({ description: 'bytes' }),
    ratePerHour: Type.Number({ description: 'trend, bytes per hour (negative: shrinking)' }),
    exhaustsAt: Nullable(Timestamp),
    secondsToExhaustion: Nullable(Type.Number()),
    horizonSeconds: Type.Number({ description: 'a warning is raised when exhaustion comes sooner than this' }),
    warning: Type.Boolean(),
    updatedAt: Timestamp,
  },
  { $id: 'Forecast' },
);
/** A trend-based time to exhaustion. */
export type Forecast = Static<typeof Forecast>;

const EventPattern = Type.String({
  pattern: '^[a-z*][a-z0-9_.*-]*$',
  maxLength: 100,
  description: 'an event type, or a pattern with `*` (e.g. `alert.*`)',
});

/** Body of `POST /webhooks`. */
export const WebhookCreate = Type.Object(
  {
    url: Type.String({ pattern: '^https?://\\S+$', maxLength: 2048, description: 'where events are POSTed' }),
    events: Type.Optional(Type.Array(EventPattern, { maxItems: 50, description: 'event types to send (default: all)' })),
    secret: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'signs each body: header x-herd-signature-256: sha256=HMAC-SHA256(secret, body) in hex' }),
    ),
  },
  { additionalProperties: false, $id: 'WebhookCreate' },
);
/** Body of `POST /webhooks`. */
export type WebhookCreate = Static<typeof WebhookCreate>;

/** A webhook. The secret is never shown. */
export const Webhook = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    events: Type.Array(Type.String()),
    hasSecret: Type.Boolean(),
    createdAt: Timestamp,
    deliveries: Type.Object({ pending: Type.Integer(), delivered: Type.Integer(), failed: Type.Integer() }),
  },
  { $id: 'Webhook' },
);
/** A webhook. */
export type Webhook = Static<typeof Webhook>;

/** States of a delivery. */
export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;

/** One event sent (or being sent) to one webhook. */
export const WebhookDelivery = Type.Object(
  {
    id: Uuid,
    webhookId: Uuid,
    event: Type.Object({ seq: Type.Integer(), type: Type.String() }),
    status: Type.Union(deliveryStatuses.map((s) => Type.Literal(s))),
    attempts: Type.Integer(),
    lastStatusCode: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    nextAttemptAt: Nullable(Timestamp),
    createdAt: Timestamp,
    deliveredAt: Nullable(Timestamp),
  },
  { $id: 'WebhookDelivery' },
);
/** One event sent to one webhook. */
export type WebhookDelivery = Static<typeof WebhookDelivery>;

/** `GET /webhooks/{id}/deliveries`. */
export const DeliveryListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(deliveryStatuses.map((s) => Type.Literal(s)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
