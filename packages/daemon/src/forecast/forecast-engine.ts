/**
 * Time-to-exhaustion forecasts for storage pools (pool_used_bytes against pool_capacity_bytes)
 * and host memory (host_memory_used_bytes against host_memory_total_bytes), from Holt's linear
 * trend over the used series. When the forecast time to exhaustion falls under the horizon
 * (default 24 h), and the trend rests on enough history (default 15 min), a `forecast.warning` event says so ("pool default full in ~3 h"), once per
 * episode; the episode ends (`forecast.cleared`) when it moves beyond 1.5 × the horizon or the
 * use stops growing.
 */
import type { Forecast } from '@herd/api';
import type { Logger } from 'pino';
import type { MetricsStore, Sample } from '../metrics/metric-types.js';
import type { EventSink } from '../alerts/alert-engine.js';
import { approxDuration } from './approx-duration.js';
import { defaultHolt, holtUpdate, msToReach, type HoltOptions, type HoltState } from './holt.js';

/** A used series and the capacity it runs into. */
interface Pairing {
  readonly resource: Forecast['resource'];
  readonly used: string;
  readonly capacity: string;
}

/** The series forecasts are made for. */
export const forecastPairs: readonly Pairing[] = [
  { resource: 'pool', used: 'pool_used_bytes', capacity: 'pool_capacity_bytes' },
  { resource: 'host-memory', used: 'host_memory_used_bytes', capacity: 'host_memory_total_bytes' },
];

/** Options of {@link ForecastEngine}. */
export interface ForecastEngineOptions {
  readonly events: EventSink;
  readonly log: Logger;
  /** Warn when exhaustion is nearer than this (default 24 h). */
  readonly horizonMs?: number;
  /** Points of the used series before forecasting (default 10). */
  readonly minPoints?: number;
  /** History a trend needs before it may raise a warning (default 15 min): a minute of growth says little about a day. */
  readonly minSpanMs?: number;
  readonly holt?: HoltOptions;
}

interface Track {
  readonly pairing: Pairing;
  readonly target: string;
  holt: HoltState | undefined;
  /** Time of the first point, ms. */
  since: number | undefined;
  capacity: number | undefined;
  warned: boolean;
}

/** Keeps one trend per (pair, target). Create once; `attach` to the store. */
export class ForecastEngine {
  readonly #o: Required<ForecastEngineOptions>;
  readonly #tracks = new Map<string, Track>();
  #emitting: Promise<void> = Promise.resolve();
  #detach: (() => void) | undefined;

  constructor(options: ForecastEngineOptions) {
    this.#o = { horizonMs: 24 * 3_600_000, minPoints: 10, minSpanMs: 15 * 60_000, holt: defaultHolt, ...options };
  }

  /** Starts forecasting from every batch `store` writes. Call once. */
  attach(store: MetricsStore): void {
    this.#detach = store.onWrite((batch) => this.observe(batch));
  }

  /** Updates the trends from a batch and raises or clears warnings. Never throws. */
  observe(batch: readonly Sample[]): void {
    const touched = new Set<Track>();
    for (const s of batch) {
      for (const p of forecastPairs) {
        if (s.metric !== p.used && s.metric !== p.capacity) continue;
        const track = this.#track(p, s.target);
        if (s.metric === p.capacity) track.capacity = s.value;
        else {
          track.since ??= s.time;
          track.holt = holtUpdate(track.holt, s.time, s.value, this.#o.holt);
        }
        touched.add(track);
      }
    }
    for (const t of touched) this.#judge(t);
  }

  /** Current forecasts, one per tracked series with a known capacity. */
  list(): Forecast[] {
    return [...this.#tracks.values()].flatMap((t) => {
      const f = this.#forecast(t);
      return f ? [f] : [];
    });
  }

  /** Waits until the events so far are appended. */
  async settled(): Promise<void> {
    await this.#emitting;
  }

  /** Stops forecasting. */
  close(): void {
    this.#detach?.();
  }

  #track(p: Pairing, target: string): Track {
    const key = `${p.used}\0${target}`;
    let t = this.#tracks.get(key);
    if (!t) this.#tracks.set(key, (t = { pairing: p, target, holt: undefined, since: undefined, capacity: undefined, warned: false }));
    return t;
  }

  #forecast(t: Track): Forecast | undefined {
    if (!t.holt || t.capacity === undefined || t.holt.n < this.#o.minPoints) return undefined;
    const ms = msToReach(t.holt, t.capacity);
    return {
      resource: t.pairing.resource,
      target: { type: t.pairing.resource === 'pool' ? 'pool' : 'host', id: t.target, name: t.target },
      metric: t.pairing.used,
      used: Math.round(t.holt.level),
      capacity: t.capacity,
      ratePerHour: Math.round(t.holt.trend * 3_600_000),
      exhaustsAt: ms === null ? null : new Date(t.holt.time + ms).toISOString(),
      secondsToExhaustion: ms === null ? null : Math.round(ms / 1000),
      horizonSeconds: this.#o.horizonMs / 1000,
      warning: ms !== null && ms < this.#o.horizonMs && t.holt.time - (t.since ?? t.holt.time) >= this.#o.minSpanMs,
      updatedAt: new Date(t.holt.time).toISOString(),
    };
  }

  #judge(t: Track): void {
    const f = this.#forecast(t);
    if (!f) return;
    const ms = f.secondsToExhaustion === null ? null : f.secondsToExhaustion * 1000;
    if (!t.warned && f.warning) {
      t.warned = true;
      this.#emit('forecast.warning', t, f, `${this.#what(t)} full in ${approxDuration(ms ?? 0)} (${pct(f.used, f.capacity)} used, growing ${gib(f.ratePerHour)}/h)`);
    } else if (t.warned && (ms === null || ms > 1.5 * this.#o.horizonMs)) {
      t.warned = false;
      this.#emit('forecast.cleared', t, f, `${this.#what(t)} is no longer expected to fill within ${approxDuration(this.#o.horizonMs)}`);
    }
  }

  #what(t: Track): string {
    return t.pairing.resource === 'pool' ? `pool ${t.target}` : 'host memory';
  }

  #emit(type: string, t: Track, f: Forecast, message: string): void {
    this.#emitting = this.#emitting.then(async () => {
      try {
        await this.#o.events.append({ type, target: { type: f.target.type, id: t.target, name: t.target }, message, data: { ...f } });
      } catch (e) {
        this.#o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'could not record a forecast event');
      }
    });
  }
}

function pct(used: number, capacity: number): string {
  return `${Math.round((100 * used) / Math.max(1, capacity))}%`;
}

function gib(bytes: number): string {
  const g = bytes / 1024 ** 3;
  return g >= 1 ? `${g.toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
