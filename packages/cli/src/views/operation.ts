/** How operations look in tables and `show` blocks. */
import type { Operation } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { paintState } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatAge, formatTime } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'ID' },
  { header: 'KIND' },
  { header: 'TARGET', shrink: true },
  { header: 'STATUS' },
  { header: 'PROGRESS', align: 'right' },
  { header: 'AGE', align: 'right' },
  { header: 'MESSAGE', shrink: true },
];

/** The `herd op list` table. */
export function operationTable(ops: readonly Operation[], color: boolean, width?: number): string {
  const rows = ops.map((op) => [
    op.id,
    op.kind,
    `${op.target.type}/${op.target.name}`,
    paintState(op.status, color),
    `${Math.round(op.progress)}%`,
    formatAge(op.createdAt),
    op.error?.message ?? op.message,
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd op show` block. */
export function operationDetails(op: Operation, color: boolean): string {
  return renderDetails([
    ['id', op.id],
    ['kind', op.kind],
    ['target', `${op.target.type}/${op.target.name}`],
    ['status', paintState(op.status, color)],
    ['progress', `${Math.round(op.progress)}%`],
    ['message', op.message || '-'],
    ['error', op.error ? `${op.error.message} (${op.error.code})` : '-'],
    ['created', formatTime(op.createdAt)],
    ['finished', formatTime(op.finishedAt)],
  ]);
}
