/** How alert rules, alerts, anomalies, forecasts and webhooks look in tables. */
import { formatSize, type Alert, type AlertRule, type Anomaly, type Forecast, type Webhook, type WebhookDelivery } from '@herd/api';
import { paint } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatAge } from '../output/time.js';

/** A metric value for people: sizes for `*_bytes` metrics, short numbers otherwise. */
export function formatValue(metric: string, value: number): string {
  if (/_bytes(_per_second)?$/.test(metric)) return `${formatSize(Math.round(value))}${metric.endsWith('_per_second') ? '/s' : ''}`;
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : 2);
}

const severityColor = { info: 'cyan', warning: 'yellow', critical: 'red' } as const;

/** The `herd alert rule list` table. */
export function alertRuleTable(rules: readonly AlertRule[], width?: number): string {
  const columns: Column[] = [{ header: 'NAME', shrink: true }, { header: 'METRIC' }, { header: 'TARGET', shrink: true }, { header: 'CONDITION' }, { header: 'FOR', align: 'right' }, { header: 'SEVERITY' }];
  const rows = rules.map((r) => [r.name, r.metric, r.targetName, `${r.op} ${formatValue(r.metric, r.threshold)}`, `${r.forSeconds}s`, r.severity]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd alert list` table. */
export function alertTable(alerts: readonly Alert[], color: boolean, width?: number): string {
  const columns: Column[] = [
    { header: 'STATE' },
    { header: 'SEVERITY' },
    { header: 'RULE', shrink: true },
    { header: 'TARGET', shrink: true },
    { header: 'VALUE', align: 'right' },
    { header: 'CONDITION' },
    { header: 'SINCE', align: 'right' },
    { header: 'NOTE', shrink: true },
  ];
  const rows = alerts.map((a) => [
    a.state === 'firing' ? paint(a.state, severityColor[a.severity], color) : a.state,
    a.severity,
    a.rule,
    `${a.target.type}/${a.target.name}`,
    formatValue(a.metric, a.value),
    `${a.metric} ${a.op} ${formatValue(a.metric, a.threshold)}`,
    formatAge(a.state === 'resolved' ? a.resolvedAt : a.since),
    a.reason ?? '',
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd alert anomalies` table. */
export function anomalyTable(anomalies: readonly Anomaly[], width?: number): string {
  const columns: Column[] = [{ header: 'AGE', align: 'right' }, { header: 'METRIC' }, { header: 'TARGET', shrink: true }, { header: 'VALUE', align: 'right' }, { header: 'NORMAL', align: 'right' }, { header: 'SCORE', align: 'right' }];
  const rows = anomalies.map((a) => [formatAge(a.time), a.metric, `${a.target.type}/${a.target.name}`, formatValue(a.metric, a.value), formatValue(a.metric, a.baseline), a.score.toFixed(1)]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd alert forecasts` table. */
export function forecastTable(forecasts: readonly Forecast[], width?: number): string {
  const columns: Column[] = [{ header: 'RESOURCE' }, { header: 'TARGET' }, { header: 'USED', align: 'right' }, { header: 'CAPACITY', align: 'right' }, { header: 'TREND', align: 'right' }, { header: 'FULL IN', align: 'right' }, { header: 'WARNING' }];
  const rows = forecasts.map((f) => [
    f.resource,
    f.target.name,
    formatSize(f.used),
    formatSize(f.capacity),
    `${f.ratePerHour < 0 ? '-' : '+'}${formatSize(Math.abs(f.ratePerHour))}/h`,
    f.secondsToExhaustion === null ? 'never' : roughly(f.secondsToExhaustion),
    f.warning ? 'yes' : 'no',
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd webhook list` table. */
export function webhookTable(hooks: readonly Webhook[], width?: number): string {
  const columns: Column[] = [{ header: 'ID' }, { header: 'URL', shrink: true }, { header: 'EVENTS', shrink: true }, { header: 'SIGNED' }, { header: 'PENDING', align: 'right' }, { header: 'DELIVERED', align: 'right' }, { header: 'FAILED', align: 'right' }];
  const rows = hooks.map((h) => [h.id, h.url, h.events.length ? h.events.join(',') : '*', h.hasSecret ? 'yes' : 'no', String(h.deliveries.pending), String(h.deliveries.delivered), String(h.deliveries.failed)]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd webhook deliveries` table. */
export function deliveryTable(deliveries: readonly WebhookDelivery[], width?: number): string {
  const columns: Column[] = [{ header: 'EVENT', align: 'right' }, { header: 'TYPE' }, { header: 'STATUS' }, { header: 'ATTEMPTS', align: 'right' }, { header: 'AGE', align: 'right' }, { header: 'LAST ERROR', shrink: true }];
  const rows = deliveries.map((d) => [String(d.event.seq), d.event.type, d.status, String(d.attempts), formatAge(d.createdAt), d.lastError ?? '']);
  return renderTable(columns, rows, { maxWidth: width });
}

function roughly(seconds: number): string {
  const h = seconds / 3600;
  if (h < 1.5) return `~${Math.max(1, Math.round(seconds / 60))} min`;
  if (h < 48) return `~${Math.round(h)} h`;
  return `~${Math.round(h / 24)} d`;
}
