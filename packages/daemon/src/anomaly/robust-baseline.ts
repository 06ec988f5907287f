/**
 * A series' learned normal, with no threshold to set: an exponentially weighted level and an
 * exponentially weighted mean absolute deviation (a robust spread), each updated per point in
 * O(1) with three numbers of state. A point's score is its robust z: how many spreads it lies
 * from the level. Residuals are clipped before they update the baseline, so a spike is scored
 * without teaching the baseline that spikes are normal, while a lasting shift is still learned
 * (the clipped updates keep pulling the level and widening the spread until it fits).
 */

/** Tuning of the baseline. The defaults suit series sampled every few seconds. */
export interface BaselineOptions {
  /** Weight of a new point in the level (default 0.1: a lasting shift is learned in ~30 points). */
  readonly alpha: number;
  /** Weight of a new point in the spread (default 0.1). */
  readonly beta: number;
  /** Points before scores count (default 30). */
  readonly warmup: number;
  /** Residuals are clipped at this many spreads when updating (default 3). */
  readonly clip: number;
  /** The spread is at least this fraction of |level| (default 0.001), so flat series do not score every wobble. */
  readonly minRelativeScale: number;
  /** And at least this (default 1e-9). */
  readonly minScale: number;
}

/** Default tuning. */
export const defaultBaseline: BaselineOptions = { alpha: 0.1, beta: 0.1, warmup: 30, clip: 3, minRelativeScale: 0.001, minScale: 1e-9 };

/** The state kept per series. */
export interface BaselineState {
  /** Points seen. */
  readonly n: number;
  readonly level: number;
  /** Mean absolute deviation from the level. */
  readonly mad: number;
}

/** A point judged against the baseline before it. */
export interface Scored {
  readonly state: BaselineState;
  readonly baseline: number;
  /** Robust standard deviation (1.2533 × mean absolute deviation, which equals σ for normal noise). */
  readonly scale: number;
  /** Robust z-score; null while warming up. */
  readonly score: number | null;
}

/** σ / mean absolute deviation for normally distributed noise: √(π/2). */
const madToSigma = Math.sqrt(Math.PI / 2);

/** Scores `x` against `prev` and returns the updated baseline; `floor` is the least spread to score against. Pure. */
export function observe(prev: BaselineState | undefined, x: number, o: BaselineOptions = defaultBaseline, floor = 0): Scored {
  if (!prev) return { state: { n: 1, level: x, mad: 0 }, baseline: x, scale: 0, score: null };
  const scale = Math.max(madToSigma * prev.mad, o.minRelativeScale * Math.abs(prev.level), o.minScale, floor);
  const residual = x - prev.level;
  const warm = prev.n >= o.warmup;
  // Early on, equal weights (a running mean) converge faster than a small fixed alpha.
  const a = Math.max(o.alpha, 1 / (prev.n + 1));
  const b = Math.max(o.beta, 1 / prev.n);
  const r = warm ? Math.max(-o.clip * scale, Math.min(o.clip * scale, residual)) : residual;
  const state: BaselineState = { n: prev.n + 1, level: prev.level + a * r, mad: prev.mad + b * (Math.abs(r) - prev.mad) };
  return { state, baseline: prev.level, scale, score: warm ? residual / scale : null };
}
