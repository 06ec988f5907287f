/** The arithmetic of CPU usage from cumulative counters. Pure. */

/**
 * USER_HZ: the unit of /proc CPU times. It is 100 on every Linux architecture herd runs on (the
 * kernel fixes it for user space regardless of CONFIG_HZ).
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU use between two readings of a cumulative tick counter, in percent of one CPU (so a process
 * keeping two CPUs busy is at 200, as `top` shows it). Undefined when there is no usable interval
 * or the counter went backwards (a different process or thread now has that id).
 */
export function cpuPercent(prevTicks: number, curTicks: number, elapsedMs: number, ticksPerSecond = CLOCK_TICKS_PER_SECOND): number | undefined {
  if (!(elapsedMs > 0) || curTicks < prevTicks) return undefined;
  return round2(((curTicks - prevTicks) / ticksPerSecond / (elapsedMs / 1000)) * 100);
}

/**
 * Host CPU use between two readings of /proc/stat, in percent of all CPUs (0..100). Undefined
 * when no time passed.
 */
export function hostCpuPercent(prev: { busy: number; total: number }, cur: { busy: number; total: number }): number | undefined {
  const total = cur.total - prev.total;
  if (total <= 0) return undefined;
  return round2(Math.min(100, Math.max(0, ((cur.busy - prev.busy) / total) * 100)));
}

/** A per-second rate between two readings of a cumulative counter; undefined if it went back. */
export function ratePerSecond(prev: number, cur: number, elapsedMs: number): number | undefined {
  if (!(elapsedMs > 0) || cur < prev) return undefined;
  return round2((cur - prev) / (elapsedMs / 1000));
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
