/**
 * Watches every series the metrics store writes and flags points far from the series' learned
 * normal (see robust-baseline.ts; quiet series are scored against a floor, see scale-floor.ts): a robust z-score of `threshold` (default 4) or more starts an
 * anomaly, recorded as an `anomaly.detected` event with its score; the episode ends when the
 * score falls under half of that, so a lasting departure is reported once. Capacities, counts
 * and counters (`*_total`, `*_total_bytes`, `*_capacity_bytes`, `host_vms_running`) are not watched.
 */
import type { Anomaly } from '@herd/api';
import type { Logger } from 'pino';
import type { MetricsStore, Sample } from '../metrics/metric-types.js';
import type { EventSink } from '../alerts/alert-engine.js';
import { targetPhrase, type DescribeTarget } from '../alerts/metric-target.js';
import { scaleFloor } from './scale-floor.js';
import { defaultBaseline, observe, type BaselineOptions, type BaselineState } from './robust-baseline.js';

/** Options of {@link AnomalyDetector}. */
export interface AnomalyDetectorOptions {
  readonly events: EventSink;
  readonly describeTarget: DescribeTarget;
  readonly log: Logger;
  /** Score at which a point is an anomaly (default 4). */
  readonly threshold?: number;
  readonly baseline?: BaselineOptions;
  /** How many anomalies `list()` keeps (default 200). */
  readonly keep?: number;
  /** Metrics not to watch (default: capacities and counters). */
  readonly ignore?: RegExp;
  /** A series silent this long is forgotten (default 1 h), so deleted VMs leave nothing behind. */
  readonly forgetAfterMs?: number;
}

interface SeriesState {
  baseline: BaselineState;
  /** In an anomaly episode. */
  active: boolean;
  /** Time of the latest point, ms. */
  last: number;
}

/** Learns each series' normal and flags departures. Create once; `attach` to the store. */
export class AnomalyDetector {
  readonly #o: Required<AnomalyDetectorOptions>;
  readonly #series = new Map<string, SeriesState>();
  readonly #recent: Anomaly[] = [];
  #emitting: Promise<void> = Promise.resolve();
  #detach: (() => void) | undefined;
  #lastSweep = 0;

  constructor(options: AnomalyDetectorOptions) {
    this.#o = { threshold: 4, baseline: defaultBaseline, keep: 200, ignore: /(_total|_total_bytes|_capacity_bytes|_vms_running)$/, forgetAfterMs: 3_600_000, ...options };
  }

  /** Starts watching every batch `store` writes. Call once. */
  attach(store: MetricsStore): void {
    this.#detach = store.onWrite((batch) => this.observe(batch));
  }

  /** Scores a batch; returns the anomalies it started (also recorded as events). Never throws. */
  observe(batch: readonly Sample[]): Anomaly[] {
    const found: Anomaly[] = [];
    for (const s of batch) {
      if (!Number.isFinite(s.value) || this.#o.ignore.test(s.metric)) continue;
      const key = `${s.metric}\0${s.target}`;
      const st = this.#series.get(key);
      const scored = observe(st?.baseline, s.value, this.#o.baseline, scaleFloor(s.metric));
      const state = st ?? { baseline: scored.state, active: false, last: s.time };
      state.baseline = scored.state;
      state.last = s.time;
      this.#series.set(key, state);
      if (scored.score === null) continue;
      const magnitude = Math.abs(scored.score);
      if (state.active) {
        if (magnitude < this.#o.threshold / 2) state.active = false;
        continue;
      }
      if (magnitude < this.#o.threshold) continue;
      state.active = true;
      const anomaly: Anomaly = {
        metric: s.metric,
        target: { type: 'other', id: s.target, name: s.target },
        time: new Date(s.time).toISOString(),
        value: s.value,
        baseline: round(scored.baseline),
        scale: round(scored.scale),
        score: Math.round(scored.score * 10) / 10,
      };
      found.push(anomaly);
      this.#record(anomaly);
    }
    this.#forgetSilent(batch[0]?.time);
    return found;
  }

  /** Recent anomalies, newest first. */
  list(limit = 100): Anomaly[] {
    return [...this.#recent].reverse().slice(0, limit);
  }

  /** How many series have a baseline (each costs a few numbers). */
  get seriesCount(): number {
    return this.#series.size;
  }

  /** Waits until the events of the anomalies so far are appended. */
  async settled(): Promise<void> {
    await this.#emitting;
  }

  /** Stops watching. */
  close(): void {
    this.#detach?.();
  }

  /** Drops series that sent nothing for `forgetAfterMs`, at most every tenth of that. */
  #forgetSilent(now: number | undefined): void {
    if (now === undefined || now - this.#lastSweep < this.#o.forgetAfterMs / 10) return;
    this.#lastSweep = now;
    for (const [key, st] of this.#series) if (now - st.last > this.#o.forgetAfterMs) this.#series.delete(key);
  }

  #record(anomaly: Anomaly): void {
    this.#recent.push(anomaly);
    if (this.#recent.length > this.#o.keep) this.#recent.shift();
    this.#emitting = this.#emitting.then(async () => {
      try {
        anomaly.target = await this.#o.describeTarget(anomaly.metric, anomaly.target.id);
      } catch {
        // keep the raw target
      }
      const dir = anomaly.score > 0 ? 'above' : 'below';
      try {
        await this.#o.events.append({
          type: 'anomaly.detected',
          target: { type: anomaly.target.type, id: anomaly.target.id, name: anomaly.target.name },
          message: `anomaly: ${anomaly.metric} of ${targetPhrase(anomaly.target)} is ${round(anomaly.value)}, ${Math.abs(anomaly.score)} spreads ${dir} its normal ${anomaly.baseline} (score ${anomaly.score})`,
          data: { ...anomaly },
        });
      } catch (e) {
        this.#o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'could not record an anomaly event');
      }
    });
  }
}

function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000;
}
