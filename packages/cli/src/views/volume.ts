/** How volumes look in tables and `show` blocks. */
import { formatSize, type Volume } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { formatTime } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'POOL' },
  { header: 'FORMAT' },
  { header: 'SIZE', align: 'right' },
  { header: 'USED', align: 'right' },
  { header: 'ROLE' },
  { header: 'VM', shrink: true },
];

/** The `herd volume list` table. */
export function volumeTable(volumes: readonly Volume[], width?: number): string {
  const rows = volumes.map((v) => [v.name, v.pool, v.format, formatSize(v.sizeBytes), formatSize(v.usedBytes), v.role, v.vm ?? '-']);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd volume show` block. */
export function volumeDetails(v: Volume): string {
  return renderDetails([
    ['name', v.name],
    ['id', v.id],
    ['pool', v.pool],
    ['format', v.encrypted ? `${v.format}, encrypted (LUKS)` : v.format],
    ['size', formatSize(v.sizeBytes)],
    ['used', formatSize(v.usedBytes)],
    ['role', v.role],
    ['vm', v.vm ?? '-'],
    ['image', v.image ? `${v.image} (copy-on-write overlay)` : '-'],
    ['created', formatTime(v.createdAt)],
  ]);
}
