/** Durations for people, as forecasts say them: "~45 min", "~3 h", "~2 d". */

/** Formats `ms` roughly, with a leading '~'. */
export function approxDuration(ms: number): string {
  const min = ms / 60_000;
  if (min < 1) return '<1 min';
  if (min < 90) return `~${Math.round(min)} min`;
  const h = min / 60;
  if (h < 48) return `~${Math.round(h)} h`;
  return `~${Math.round(h / 24)} d`;
}
