/**
 * The least spread worth scoring against, per kind of metric. A quiet series (an idle VM's disk
 * writes, a vCPU at 0 %) has almost no spread, and without a floor every small burst would be
 * a many-sigma "anomaly". The floors are what an operator would call noise for that unit.
 */

/** The smallest spread (robust σ) used when scoring a series of `metric`. */
export function scaleFloor(metric: string): number {
  if (metric.endsWith('_percent')) return 2; // percentage points
  if (metric.endsWith('_bytes_per_second')) return 256 * 1024;
  if (metric.endsWith('_ops_per_second')) return 10;
  if (metric.endsWith('_bytes')) return 16 * 1024 ** 2;
  if (metric.startsWith('host_load')) return 0.25;
  return 0;
}
