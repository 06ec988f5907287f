/** Formatting for people: sizes, times, durations. */
export { formatSize } from '@herd/api';

/** "3 s ago", "5 min ago", or the date for older times. */
export function timeAgo(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** A timestamp as local date and time. */
export function dateTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}
