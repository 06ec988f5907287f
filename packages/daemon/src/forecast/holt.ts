/**
 * Holt's linear trend (double exponential smoothing) for irregularly spaced points: a smoothed
 * level and a smoothed slope per millisecond. Pure, O(1) state. Used to say when a growing
 * series (pool use, host memory use) reaches its capacity.
 */

/** Smoothing weights: `alpha` for the level, `beta` for the trend. */
export interface HoltOptions {
  readonly alpha: number;
  readonly beta: number;
}

/** Defaults that follow a steady fill through sampling noise (the trend averages ~50 points). */
export const defaultHolt: HoltOptions = { alpha: 0.2, beta: 0.02 };

/** The smoothed state after the latest point. */
export interface HoltState {
  readonly n: number;
  /** Smoothed value at `time`. */
  readonly level: number;
  /** Smoothed slope, units per ms. */
  readonly trend: number;
  /** Time of the latest point, ms. */
  readonly time: number;
}

/** Adds the point (time ms, x) and returns the new state. Points not after the latest are ignored. */
export function holtUpdate(prev: HoltState | undefined, time: number, x: number, o: HoltOptions = defaultHolt): HoltState {
  if (!prev) return { n: 1, level: x, trend: 0, time };
  const dt = time - prev.time;
  if (dt <= 0) return prev;
  if (prev.n === 1) return { n: 2, level: x, trend: (x - prev.level) / dt, time };
  // Early on, heavier weights settle the trend faster than the long-run beta.
  const beta = Math.max(o.beta, 1 / prev.n);
  const predicted = prev.level + prev.trend * dt;
  const level = o.alpha * x + (1 - o.alpha) * predicted;
  const trend = beta * ((level - prev.level) / dt) + (1 - beta) * prev.trend;
  return { n: prev.n + 1, level, trend, time };
}

/**
 * Milliseconds from the state's time until the trend reaches `capacity`: 0 when already there,
 * null when the series is not growing.
 */
export function msToReach(state: HoltState, capacity: number): number | null {
  if (state.level >= capacity) return 0;
  if (state.trend <= 0) return null;
  return (capacity - state.level) / state.trend;
}
