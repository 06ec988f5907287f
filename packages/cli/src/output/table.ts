/**
 * Aligned text tables for people: a header row and columns padded to their widest cell. When a
 * width is given (the terminal's), columns marked `shrink` are truncated with '…' to fit it.
 */
import { stripAnsi, visibleWidth } from './style.js';

/** A column of a table. */
export interface Column {
  readonly header: string;
  /** Right-align (numbers). */
  readonly align?: 'left' | 'right';
  /** May be truncated to fit the width (free text such as messages and image names). */
  readonly shrink?: boolean;
}

/** Options for {@link renderTable}. */
export interface TableOptions {
  /** Fit the table into this many columns, if possible; no limit when undefined. */
  readonly maxWidth?: number;
}

const gap = '   ';
const minShrunkWidth = 8;

/** Renders `rows` (one string per column, possibly colored) under `columns`; ends with a newline. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...rows.map((r) => visibleWidth(r[i] ?? ''))));
  if (options.maxWidth !== undefined) shrinkToFit(columns, widths, options.maxWidth);
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const width = widths[i] ?? 0;
        const cell = truncate(cells[i] ?? '', width);
        const pad = ' '.repeat(width - visibleWidth(cell));
        if (c.align === 'right') return pad + cell;
        return i === columns.length - 1 ? cell : cell + pad;
      })
      .join(gap)
      .trimEnd();
  return [columns.map((c) => c.header), ...rows].map(line).join('\n') + '\n';
}

/** Narrows the widest shrinkable columns, one character at a time, until the table fits. */
function shrinkToFit(columns: readonly Column[], widths: number[], maxWidth: number): void {
  let excess = widths.reduce((a, b) => a + b, 0) + gap.length * (columns.length - 1) - maxWidth;
  while (excess > 0) {
    let widest = -1;
    columns.forEach((c, i) => {
      const w = widths[i] ?? 0;
      const floor = Math.max(minShrunkWidth, visibleWidth(c.header));
      if (c.shrink && w > floor && (widest < 0 || w > (widths[widest] ?? 0))) widest = i;
    });
    if (widest < 0) return;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess--;
  }
}

/** Cuts `text` to `width` columns, ending with '…' when cut (colors are dropped then). */
export function truncate(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  const chars = [...stripAnsi(text)];
  return width <= 0 ? '' : chars.slice(0, width - 1).join('') + '…';
}
