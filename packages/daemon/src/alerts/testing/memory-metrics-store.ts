/** An in-memory MetricsStore for unit tests of what consumes metrics (alerts, anomalies, forecasts). */
import type { MetricsStore, Point, Sample, SeriesQuery } from '../../metrics/metric-types.js';

/** Keeps every sample in memory; no retention, no downsampling. */
export class MemoryMetricsStore implements MetricsStore {
  readonly #samples: Sample[] = [];
  readonly #listeners = new Set<(samples: readonly Sample[]) => void>();

  async write(samples: readonly Sample[]): Promise<void> {
    this.#samples.push(...samples);
    for (const l of this.#listeners) l(samples);
  }

  async query(q: SeriesQuery): Promise<Point[]> {
    return this.#samples
      .filter((s) => s.metric === q.metric && s.target === q.target && s.time >= q.from && s.time <= q.to)
      .sort((a, b) => a.time - b.time)
      .map((s) => ({ time: s.time, value: s.value }));
  }

  async series(): Promise<{ metric: string; target: string }[]> {
    const seen = new Map<string, { metric: string; target: string }>();
    for (const s of this.#samples) seen.set(`${s.metric}\0${s.target}`, { metric: s.metric, target: s.target });
    return [...seen.values()];
  }

  onWrite(listener: (samples: readonly Sample[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
