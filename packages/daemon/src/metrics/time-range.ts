/** The time arguments of metric queries: `-1h`, `now`, RFC 3339, and step widths. Pure. */

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86400_000 };

/** Most points a query may return (as Prometheus limits it): a finer step must be a shorter range. */
export const MAX_POINTS = 11_000;

/**
 * Parses a duration (`500ms`, `10s`, `15m`, `1h`, `7d`; a bare number is seconds) to milliseconds,
 * or undefined if it is not one.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (units[m[2] ?? 's'] ?? 1000);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/**
 * Parses a point in time: `now`, a duration before now (`-1h`, also without the sign), or an
 * RFC 3339 timestamp. Returns ms since the epoch, or undefined if it is none of these.
 */
export function parseTimeRef(text: string, now: number): number | undefined {
  const t = text.trim();
  if (t === 'now') return now;
  if (/^-?\d/.test(t) && !/^\d{4}-\d\d-\d\d/.test(t)) {
    const d = parseDuration(t.replace(/^-/, ''));
    return d === undefined ? undefined : now - d;
  }
  if (!/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The step used when a query gives none: raw points up to 2 hours, beyond that buckets of whole
 * minutes making at most ~720 points (a chart's width).
 */
export function autoStepMs(rangeMs: number): number | undefined {
  if (rangeMs <= 2 * 3600_000) return undefined;
  return Math.ceil(rangeMs / 720 / 60_000) * 60_000;
}
