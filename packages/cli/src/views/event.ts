/** How events look in `herd events`. */
import type { HerdEvent } from '@herd/api';

/** One event on one line: time, type, target, message. */
export function eventLine(e: HerdEvent): string {
  return `${e.time}  ${e.type}  ${e.target.type}/${e.target.name}  ${e.message}\n`;
}
