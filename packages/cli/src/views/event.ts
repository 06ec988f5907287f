/** How events look in `herd events`. */
import type { HerdEvent } from '@herd/api';

/** One event on one line: time, type, target, message (type and target padded to line up most lines). */
export function eventLine(e: HerdEvent): string {
  const target = `${e.target.type}/${e.target.name}`;
  return `${e.time}  ${e.type.padEnd(18)}  ${target.padEnd(16)}  ${e.message}\n`;
}
