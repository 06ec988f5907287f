/** Axis ticks for the VM page's charts: round values from 0, and round local times. Pure. */

/** 0 and round steps up to at least `max`: 3 or 4 ticks of 1, 2, 2.5 or 5 times a power of ten (of 1024-units when `binary`). */
export function niceTicks(max: number, binary = false): number[] {
  if (!(max > 0)) return [0, 1];
  const unit = binary ? 1024 ** Math.max(0, Math.floor(Math.log(max) / Math.log(1024))) : 1;
  const m = max / unit;
  const raw = m / 3;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * pow).find((s) => s >= raw)!;
  const n = Math.max(1, Math.ceil(m / step - 1e-9));
  return Array.from({ length: n + 1 }, (_, i) => i * step * unit);
}

const minute = 60_000;
const tickSteps = [0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720].map((m) => m * minute);

/** Times for the x axis: whole local quarter-minutes, minutes or hours, at most 6 over the range. */
export function timeTicks(from: number, to: number): number[] {
  const step = tickSteps.find((s) => (to - from) / s <= 6) ?? 1440 * minute;
  const offset = new Date(from).getTimezoneOffset() * minute;
  const first = Math.ceil((from - offset) / step) * step + offset;
  const out: number[] = [];
  for (let t = first; t <= to; t += step) out.push(t);
  return out;
}
