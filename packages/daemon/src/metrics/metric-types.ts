/**
 * The shapes shared by the sampler, the time-series store, alerts, anomaly detection and
 * forecasts. A series is identified by its metric name and its target (a VM id, or `host`, or a
 * pool name); a point is a time in milliseconds and a value.
 */

/** One measured value of one series. */
export interface Sample {
  /** Metric name, e.g. `vm_cpu_percent`, `vm_memory_rss_bytes`, `host_memory_used_bytes`. */
  readonly metric: string;
  /** What it is about: a VM id, `host`, or a pool name. */
  readonly target: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly value: number;
}

/** A range query over one series. */
export interface SeriesQuery {
  readonly metric: string;
  readonly target: string;
  /** Inclusive start, ms. */
  readonly from: number;
  /** Inclusive end, ms. */
  readonly to: number;
  /** Bucket width in ms; points are averaged per bucket. Omitted: raw points. */
  readonly stepMs?: number;
}

/** A point of a series. */
export interface Point {
  readonly time: number;
  readonly value: number;
}

/** Where samples are kept. The store decides retention and downsampling. */
export interface MetricsStore {
  /** Records samples (a batch from one sampling round). */
  write(samples: readonly Sample[]): Promise<void>;
  /** Points of one series in a range, oldest first. */
  query(q: SeriesQuery): Promise<Point[]>;
  /** The series that exist (metric and target pairs). */
  series(): Promise<{ metric: string; target: string }[]>;
  /** Calls `listener` with every batch written, until the returned function is called. */
  onWrite(listener: (samples: readonly Sample[]) => void): () => void;
}
