/**
 * The metrics use cases behind the API: a range query of one series (targets named as people
 * name them, times as `-1h` or RFC 3339), the list of series, the latest values for `herd top`,
 * and the Prometheus text. The HTTP layer calls only this.
 */
import { HerdError, type MetricSeries, type MetricSeriesInfo, type MetricsLatest, type MetricsQuery } from '@herd/api';
import type { Registry } from 'prom-client';
import type { VmRepo } from '../vm/vm-repo.js';
import { HOST_TARGET, metricCatalogue } from './metric-names.js';
import type { MetricsStore } from './metric-types.js';
import { prometheusRegistry } from './prometheus.js';
import type { Sampler } from './sampler.js';
import { autoStepMs, MAX_POINTS, parseDuration, parseTimeRef } from './time-range.js';

/** What {@link MetricsService} needs. */
export interface MetricsServiceDeps {
  readonly store: MetricsStore;
  readonly sampler: Sampler;
  readonly vms: VmRepo;
  readonly host: { readonly name: string; readonly cpus: number };
  readonly now?: () => number;
}

/** Metrics for the API. One per daemon. */
export class MetricsService {
  readonly #deps: MetricsServiceDeps;
  readonly #registry: Registry;
  readonly #now: () => number;

  constructor(deps: MetricsServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#registry = prometheusRegistry(
      () => deps.sampler.latest(),
      () => deps.sampler.stats(),
    );
  }

  /** One series over a range; 400 for a bad metric, time or step, 404 for an unknown target. */
  async query(q: MetricsQuery): Promise<MetricSeries> {
    const now = this.#now();
    const from = q.from === undefined ? now - 3600_000 : parseTimeRef(q.from, now);
    if (from === undefined) throw badField('from', `'${q.from}' is not a time; use RFC 3339 (2026-01-02T03:04:05Z), now, or a duration before now such as -1h`);
    const to = q.to === undefined ? now : parseTimeRef(q.to, now);
    if (to === undefined) throw badField('to', `'${q.to}' is not a time; use RFC 3339 (2026-01-02T03:04:05Z), now, or a duration before now such as -5m`);
    if (to < from) throw badField('from', `the range is empty: from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`);
    let stepMs: number | undefined;
    if (q.step !== undefined) {
      stepMs = parseDuration(q.step);
      if (stepMs === undefined || stepMs < 1000) throw badField('step', `'${q.step}' is not a step of at least 1s; use e.g. 10s, 1m, 1h`);
    } else stepMs = autoStepMs(to - from);
    if (stepMs !== undefined && (to - from) / stepMs > MAX_POINTS)
      throw badField('step', `a step of ${q.step ?? `${stepMs / 1000}s`} over this range makes more than ${MAX_POINTS} points; use a larger step or a shorter range`);

    const known = await this.#deps.store.series();
    if (!(q.metric in metricCatalogue) && !known.some((s) => s.metric === q.metric))
      throw badField('metric', `unknown metric '${q.metric}'; known metrics: ${Object.keys(metricCatalogue).join(', ')}`);
    const target = await this.#resolveTarget(q.target, known);
    const points = await this.#deps.store.query({ metric: q.metric, target: target.id, from, to, ...(stepMs !== undefined ? { stepMs } : {}) });
    return {
      metric: q.metric,
      target: target.id,
      targetName: target.name,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      stepSeconds: stepMs === undefined ? null : stepMs / 1000,
      points: points.map((p) => ({ time: new Date(p.time).toISOString(), value: p.value })),
    };
  }

  /** The series that have points, with names for people. */
  async series(): Promise<MetricSeriesInfo[]> {
    const [series, vms] = await Promise.all([this.#deps.store.series(), this.#deps.vms.list()]);
    const names = new Map(vms.map((v) => [v.id, v.name]));
    return series.map((s) => ({
      ...s,
      targetName: nameOf(s.target, names),
      description: (metricCatalogue as Record<string, string>)[s.metric] ?? '',
    }));
  }

  /** The latest sampled values of the host and of every VM (VMs not running have nulls). */
  async latest(): Promise<MetricsLatest> {
    const snap = this.#deps.sampler.latest();
    const rows = await this.#deps.vms.list();
    const h = snap.host;
    return {
      time: snap.time ? new Date(snap.time).toISOString() : null,
      intervalSeconds: snap.intervalMs / 1000,
      host: {
        name: this.#deps.host.name,
        cpus: this.#deps.host.cpus,
        cpuPercent: h?.cpuPercent ?? null,
        memoryUsedBytes: h?.memoryTotalBytes !== undefined && h.memoryAvailableBytes !== undefined ? h.memoryTotalBytes - h.memoryAvailableBytes : null,
        memoryTotalBytes: h?.memoryTotalBytes ?? null,
        load: h?.load ? [...h.load] : null,
        vmsRunning: h?.vmsRunning ?? 0,
      },
      pools: (h?.pools ?? []).map((p) => ({ name: p.name, usedBytes: p.usedBytes, capacityBytes: p.capacityBytes, availableBytes: p.availableBytes })),
      vms: rows.map((row) => {
        const v = snap.vms.get(row.id);
        return {
          id: row.id,
          name: row.name,
          state: row.state,
          cpus: row.cpus,
          memoryMiB: row.memory_mib,
          cpuPercent: v?.cpuPercent ?? null,
          vcpus: (v?.vcpus ?? []).map((c) => ({ index: c.index, cpuPercent: c.percent ?? null })),
          memoryRssBytes: v?.memoryRssBytes ?? null,
          diskReadBytesPerSecond: v?.disk?.rdBytesPerSecond ?? null,
          diskWriteBytesPerSecond: v?.disk?.wrBytesPerSecond ?? null,
          netRxBytesPerSecond: v?.net?.rxBytesPerSecond ?? null,
          netTxBytesPerSecond: v?.net?.txBytesPerSecond ?? null,
        };
      }),
    };
  }

  /** The Prometheus text exposition of the latest values, with its content type. */
  async prometheus(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.#registry.contentType, body: await this.#registry.metrics() };
  }

  /** `host`; a VM by name or id (with `/vcpuN` for one vCPU); or a target that has series (pools, deleted VMs). */
  async #resolveTarget(ref: string, known: readonly { target: string }[]): Promise<{ id: string; name: string }> {
    if (ref === HOST_TARGET) return { id: HOST_TARGET, name: HOST_TARGET };
    const vcpu = /^(.+)\/(vcpu\d+)$/.exec(ref);
    const base = vcpu ? vcpu[1]! : ref;
    const suffix = vcpu ? `/${vcpu[2]}` : '';
    const vm = await this.#deps.vms.find(base).catch((e: unknown) => {
      if (e instanceof HerdError && e.code === 'not_found') return undefined;
      throw e;
    });
    if (vm) return { id: vm.id + suffix, name: vm.name + suffix };
    if (known.some((s) => s.target === ref)) return { id: ref, name: ref };
    throw new HerdError('not_found', { kind: 'vm', name: ref });
  }
}

function badField(field: string, reason: string): HerdError {
  return new HerdError('validation_failed', { field, reason });
}

function nameOf(target: string, names: ReadonlyMap<string, string>): string {
  const m = /^([^/]+)(\/.*)?$/.exec(target);
  const name = m ? names.get(m[1]!) : undefined;
  return name === undefined ? target : name + (m?.[2] ?? '');
}
