/** How metrics look for people: the `herd top` table and `herd metrics` points. */
import { formatSize, type MetricSeries, type MetricSeriesInfo, type MetricsLatest } from '@herd/api';
import { renderTable, type Column } from '../output/table.js';

const topColumns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'STATE' },
  { header: 'CPU%', align: 'right' },
  { header: 'VCPU%', shrink: true },
  { header: 'MEM', align: 'right' },
  { header: 'DISK-R/W', align: 'right' },
];

const stateOrder: Readonly<Record<string, number>> = { running: 0, paused: 1, starting: 2, stopping: 3, error: 4, stopped: 5 };

/** A percentage with one decimal, '-' when unknown. */
export function formatPercent(p: number | null | undefined): string {
  return p === null || p === undefined ? '-' : p.toFixed(1);
}

/** A rate in bytes per second: `1.5 MiB/s`, '-' when unknown. */
export function formatRate(bps: number | null | undefined): string {
  return bps === null || bps === undefined ? '-' : `${formatSize(Math.round(bps))}/s`;
}

/** The host line above the `herd top` table. */
export function topHeader(m: MetricsLatest): string {
  const h = m.host;
  const mem = h.memoryUsedBytes !== null && h.memoryTotalBytes !== null ? `${formatSize(h.memoryUsedBytes)}/${formatSize(h.memoryTotalBytes)}` : '-';
  const load = h.load ? h.load.map((l) => l.toFixed(2)).join(' ') : '-';
  const pools = m.pools.map((p) => `pool ${p.name} ${formatSize(p.usedBytes)}/${formatSize(p.capacityBytes)}`).join(', ');
  const at = m.time ? m.time.replace(/\.\d+Z$/, 'Z') : 'no sample yet';
  return `${h.name}  cpu ${formatPercent(h.cpuPercent)}% of ${h.cpus}  mem ${mem}  load ${load}  vms ${h.vmsRunning} running${pools ? `  ${pools}` : ''}  (${at}, every ${m.intervalSeconds}s)\n`;
}

/** The `herd top` table: running VMs first, busiest first. */
export function topTable(m: MetricsLatest, width?: number): string {
  const vms = [...m.vms].sort(
    (a, b) => (stateOrder[a.state] ?? 9) - (stateOrder[b.state] ?? 9) || (b.cpuPercent ?? -1) - (a.cpuPercent ?? -1) || a.name.localeCompare(b.name),
  );
  const rows = vms.map((v) => [
    v.name,
    v.state,
    formatPercent(v.cpuPercent),
    v.vcpus.length ? v.vcpus.map((c) => formatPercent(c.cpuPercent)).join(' ') : '-',
    v.memoryRssBytes === null ? '-' : `${formatSize(v.memoryRssBytes)}/${formatSize(v.memoryMiB * 1024 * 1024)}`,
    v.diskReadBytesPerSecond === null && v.diskWriteBytesPerSecond === null ? '-' : `${formatRate(v.diskReadBytesPerSecond)} ${formatRate(v.diskWriteBytesPerSecond)}`,
  ]);
  return renderTable(topColumns, rows, { maxWidth: width });
}

/** A value of `metric` for people, by the unit its name ends with. */
export function formatMetricValue(metric: string, value: number): string {
  if (metric.endsWith('_bytes_per_second')) return formatRate(value);
  if (metric.endsWith('_bytes')) return formatSize(Math.round(value));
  if (metric.endsWith('_percent')) return `${value.toFixed(1)}%`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** The `herd metrics` table: one row per point. */
export function seriesTable(s: MetricSeries): string {
  if (s.points.length === 0) return `no points of ${s.metric} for ${s.targetName} from ${s.from} to ${s.to}\n`;
  const rows = s.points.map((p) => [p.time.replace(/\.000Z$/, 'Z'), formatMetricValue(s.metric, p.value)]);
  return renderTable([{ header: 'TIME' }, { header: s.metric.toUpperCase(), align: 'right' }], rows);
}

/** The series of one target, for `herd metrics NAME` without --metric. */
export function seriesInfoTable(series: readonly MetricSeriesInfo[], width?: number): string {
  return renderTable(
    [{ header: 'METRIC' }, { header: 'TARGET' }, { header: 'DESCRIPTION', shrink: true }],
    series.map((s) => [s.metric, s.targetName, s.description]),
    { maxWidth: width },
  );
}
