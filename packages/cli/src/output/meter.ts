/** Bars for people: how full something is, drawn with block characters (progress, quota use). */

/**
 * A bar `width` characters wide, filled to `ratio` (clamped to 0..1, so a use over its limit
 * shows as full): `██████░░░░`. Plain text; color it with `paint`.
 */
export function renderMeter(ratio: number, width: number): string {
  const clamped = Number.isFinite(ratio) ? Math.max(0, Math.min(1, ratio)) : 1;
  const filled = Math.round(clamped * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}
