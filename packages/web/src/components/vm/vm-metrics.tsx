/**
 * A VM's metrics over the last hour (or 6 or 24; or since its first sample, when that is
 * later): CPU, memory and disk I/O, read from the metrics API. One timer rereads all charts as new samples land: every sample interval for
 * raw points, every step for longer ranges, whose points are averaged per step. While the VM
 * is not running nothing new is sampled, so nothing is reread.
 */
import { formatSize, type MetricSeries, type Vm } from '@herd/api';
import { useEffect, useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { LineChart, type ChartSeries } from './line-chart.js';
import './vm-metrics.css';

const ranges = { '1h': 3600_000, '6h': 6 * 3600_000, '24h': 24 * 3600_000 } as const;
type Range = keyof typeof ranges;

const percent = (v: number) => `${v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1)} %`;
const bytes = (v: number) => formatSize(Math.round(v));
const rate = (v: number) => `${formatSize(Math.round(v))}/s`;

/** The charts, and the metrics each draws. */
const charts = [
  { key: 'cpu', title: 'CPU', format: percent, floorMax: 100, binary: false, lines: [{ metric: 'vm_cpu_percent', label: 'CPU' }] },
  { key: 'memory', title: 'Memory (resident)', format: bytes, floorMax: 0, binary: true, lines: [{ metric: 'vm_memory_rss_bytes', label: 'RSS' }] },
  {
    key: 'disk',
    title: 'Disk I/O',
    format: rate,
    floorMax: 0,
    binary: true,
    lines: [
      { metric: 'vm_disk_read_bytes_per_second', label: 'Read' },
      { metric: 'vm_disk_write_bytes_per_second', label: 'Write' },
    ],
  },
] as const;

/** The daemon's default; the real interval is read off the points once there are some. */
const defaultIntervalMs = 10_000;

interface Loaded {
  readonly from: number;
  readonly to: number;
  readonly series: ReadonlyMap<string, ChartSeries['points']>;
  /** Time between points: the step, or the sample interval for raw points. */
  readonly everyMs: number;
}

/** The metrics card of VM `vm`. */
export function VmMetrics({ vm }: { readonly vm: Vm }) {
  const [range, setRange] = useState<Range>('1h');
  const [data, setData] = useState<Loaded | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const sampling = vm.state === 'running' || vm.state === 'paused';

  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      let next = defaultIntervalMs;
      try {
        if (!document.hidden) {
          const loaded = await read(vm.id, range);
          if (!alive) return;
          setData(loaded);
          setError(undefined);
          next = loaded.everyMs;
        }
      } catch (e) {
        if (alive) setError(errorMessage(e));
      }
      if (alive && sampling) timer = setTimeout(() => void load(), Math.max(1000, next));
    };
    void load();
    return () => {
      alive = false;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [vm.id, range, sampling]);

  const empty = data !== undefined && [...data.series.values()].every((p) => p.length === 0);
  return (
    <section class="card" aria-labelledby="metrics-title" id={`vm-${vm.name}-metrics`}>
      <div class="card-head">
        <h2 id="metrics-title">Metrics</h2>
        <div class="segmented" role="radiogroup" aria-label="Time range">
          {(Object.keys(ranges) as Range[]).map((r) => (
            <button key={r} type="button" role="radio" id={`vm-${vm.name}-range-${r}`} aria-checked={range === r} onClick={() => setRange(r)}>
              {r}
            </button>
          ))}
        </div>
      </div>
      {error && <p class="error-text">{error}</p>}
      {empty && (
        <p class="muted" id={`vm-${vm.name}-metrics-empty`}>
          No samples in this range yet: herd samples a VM while it runs.
        </p>
      )}
      {data && !empty && (
        <div class="chart-grid">
          {charts.map((c) => (
            <LineChart
              key={c.key}
              id={`vm-${vm.name}-chart-${c.key}`}
              title={c.title}
              from={data.from}
              to={data.to}
              format={c.format}
              floorMax={c.floorMax}
              binary={c.binary}
              gapMs={data.everyMs * 3}
              series={c.lines.map((l) => ({ label: l.label, points: data.series.get(l.metric) ?? [] }))}
            />
          ))}
        </div>
      )}
    </section>
  );
}

async function read(vmId: string, range: Range): Promise<Loaded> {
  const metrics = charts.flatMap((c) => c.lines.map((l) => l.metric));
  const answers: MetricSeries[] = await Promise.all(metrics.map((metric) => client.call('queryMetrics', { query: { metric, target: vmId, from: `-${range}` } })));
  const series = new Map(answers.map((a) => [a.metric, a.points.map((p) => ({ t: Date.parse(p.time), v: p.value }))]));
  const first = answers[0]!;
  const step = first.stepSeconds === null ? undefined : first.stepSeconds * 1000;
  const to = Date.parse(first.to);
  // A VM sampled for less than the range is drawn from its first sample (over 2 minutes at
  // least), rather than as a sliver at the right edge of an empty hour.
  const earliest = Math.min(...[...series.values()].map((p) => p[0]?.t ?? Infinity));
  const from = Math.max(Date.parse(first.from), Math.min(earliest, to - 2 * 60_000));
  return { from, to, series, everyMs: step ?? sampleInterval(series.get('vm_cpu_percent') ?? []) };
}

/** The usual time between raw points: the median of the last few gaps. */
function sampleInterval(points: readonly { t: number }[]): number {
  const gaps = points.slice(-12).flatMap((p, i, a) => (i === 0 ? [] : [p.t - a[i - 1]!.t])).sort((a, b) => a - b);
  return gaps.length ? gaps[Math.floor(gaps.length / 2)]! : defaultIntervalMs;
}
