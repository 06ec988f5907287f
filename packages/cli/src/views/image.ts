/** How images look in tables and `show` blocks. */
import { formatSize, type Image } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { formatAge, formatTime } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'KIND' },
  { header: 'FORMAT' },
  { header: 'SIZE', align: 'right' },
  { header: 'ON DISK', align: 'right' },
  { header: 'USED BY', shrink: true },
  { header: 'AGE', align: 'right' },
];

/** The `herd image list` table. */
export function imageTable(images: readonly Image[], width?: number): string {
  const rows = images.map((img) => [
    img.name,
    img.kind,
    img.format,
    formatSize(img.virtualSize),
    formatSize(img.actualSize),
    img.usedBy.length ? img.usedBy.join(',') : '-',
    formatAge(img.createdAt),
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd image show` block. */
export function imageDetails(img: Image): string {
  return renderDetails([
    ['name', img.name],
    ['id', img.id],
    ['kind', img.kind],
    ['format', img.format],
    ['size', formatSize(img.virtualSize)],
    ['on disk', formatSize(img.actualSize)],
    ['source', img.source],
    ['cmdline', img.kernelCmdline ?? '-'],
    ['used by', img.usedBy.length ? img.usedBy.join(', ') : '-'],
    ['created', formatTime(img.createdAt)],
  ]);
}
