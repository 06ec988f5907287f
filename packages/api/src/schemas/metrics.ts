/**
 * Metrics: time series sampled per VM and per host (`GET /metrics`), the series that exist
 * (`GET /metrics/series`) and the latest values of everything (`GET /metrics/latest`, what
 * `herd top` shows).
 */
import { Type, type Static } from '@sinclair/typebox';
import { vmStates } from '../vm-states.js';
import { Nullable, Timestamp } from './common.js';

const MetricName = Type.String({ pattern: '^[a-z][a-z0-9_]*$', minLength: 1, maxLength: 100, description: 'e.g. vm_cpu_percent, host_memory_used_bytes, pool_used_bytes' });
const timeRefHelp = 'RFC 3339 time, `now`, or relative to now: `-30s`, `-15m`, `-1h`, `-7d`';
const TimeRef = (what: string) => Type.String({ minLength: 1, maxLength: 40, description: `${what}: ${timeRefHelp}` });

/** `GET /metrics`: one series over a range. */
export const MetricsQuery = Type.Object(
  {
    metric: MetricName,
    target: Type.String({
      minLength: 1,
      maxLength: 120,
      description: 'a VM name or id (`NAME/vcpuN` for one vCPU), `host`, or a pool name',
    }),
    from: Type.Optional(TimeRef('start (default -1h)')),
    to: Type.Optional(TimeRef('end (default now)')),
    step: Type.Optional(
      Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)?$', maxLength: 20, description: 'bucket width: `10s`, `1m`, `1h` (a bare number is seconds); points are averaged per bucket. Default: raw points up to a 2 h range, else whole minutes making at most ~720 points; steps of 1m or more read the per-minute rollups' }),
    ),
  },
  { additionalProperties: false },
);
/** Inputs of `GET /metrics`. */
export type MetricsQuery = Static<typeof MetricsQuery>;

/** A point of a series. */
export const MetricPoint = Type.Object({ time: Timestamp, value: Type.Number() }, { $id: 'MetricPoint' });

/** One series over a range. */
export const MetricSeries = Type.Object(
  {
    metric: Type.String(),
    target: Type.String({ description: 'what the series is about as stored: a VM id, `VMID/vcpuN`, `host`, or a pool name' }),
    targetName: Type.String({ description: 'the target for people: the VM name when it is a VM' }),
    from: Timestamp,
    to: Timestamp,
    stepSeconds: Nullable(Type.Number({ description: 'bucket width; null for raw points' })),
    points: Type.Array(MetricPoint),
  },
  { $id: 'MetricSeries' },
);
/** One series over a range. */
export type MetricSeries = Static<typeof MetricSeries>;

/** A series that exists. */
export const MetricSeriesInfo = Type.Object(
  {
    metric: Type.String(),
    target: Type.String(),
    targetName: Type.String(),
    description: Type.String(),
  },
  { $id: 'MetricSeriesInfo' },
);
/** A series that exists. */
export type MetricSeriesInfo = Static<typeof MetricSeriesInfo>;

const Num = Nullable(Type.Number());

/** The latest values of one VM (null: not measured yet, or not running). */
export const VmMetricsLatest = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    state: Type.Union(vmStates.map((s) => Type.Literal(s))),
    cpus: Type.Integer(),
    memoryMiB: Type.Integer(),
    cpuPercent: Num,
    vcpus: Type.Array(Type.Object({ index: Type.Integer(), cpuPercent: Num })),
    memoryRssBytes: Num,
    diskReadBytesPerSecond: Num,
    diskWriteBytesPerSecond: Num,
    netRxBytesPerSecond: Num,
    netTxBytesPerSecond: Num,
  },
  { $id: 'VmMetricsLatest' },
);
/** The latest values of one VM. */
export type VmMetricsLatest = Static<typeof VmMetricsLatest>;

/** The latest values of the host and of every VM: what `herd top` shows. */
export const MetricsLatest = Type.Object(
  {
    time: Nullable(Timestamp),
    intervalSeconds: Type.Number(),
    host: Type.Object({
      name: Type.String(),
      cpus: Type.Integer(),
      cpuPercent: Num,
      memoryUsedBytes: Num,
      memoryTotalBytes: Num,
      load: Nullable(Type.Array(Type.Number(), { minItems: 3, maxItems: 3 })),
      vmsRunning: Type.Integer(),
    }),
    pools: Type.Array(Type.Object({ name: Type.String(), usedBytes: Type.Number(), capacityBytes: Type.Number(), availableBytes: Type.Number() })),
    vms: Type.Array(VmMetricsLatest),
  },
  { $id: 'MetricsLatest' },
);
/** The latest values of the host and of every VM. */
export type MetricsLatest = Static<typeof MetricsLatest>;
