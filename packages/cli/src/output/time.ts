/** Times for people: ages ("5m") and timestamps. */

/** How long ago `iso` was, in the largest whole unit: 42s, 5m, 3h, 12d; '-' when unknown. */
export function formatAge(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  return formatSpan(Math.max(0, Math.floor((now - t) / 1000)));
}

/** When `iso` is, seen from now: "in 29d" ahead, "5m ago" past; '-' when unknown. */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  const s = Math.floor((t - now) / 1000);
  return s > 0 ? `in ${formatSpan(s)}` : `${formatSpan(-s)} ago`;
}

/** A span of `s` seconds in its largest whole unit: 42s, 5m, 3h, 12d. */
function formatSpan(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** A timestamp with its age: "2024-05-01T10:00:00Z (5m ago)"; '-' when absent. */
export function formatTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '-';
  return `${iso} (${formatAge(iso, now)} ago)`;
}
