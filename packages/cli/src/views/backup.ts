/** How backups look in tables and `show` blocks. */
import { formatSize, type Backup } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { formatAge, formatTime } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'ID' },
  { header: 'VM', shrink: true },
  { header: 'KIND' },
  { header: 'SIZE', align: 'right' },
  { header: 'AGE', align: 'right' },
  { header: 'PATH', shrink: true },
];

/** The `herd backup list` table. */
export function backupTable(backups: readonly Backup[], width?: number): string {
  const rows = backups.map((b) => [b.id, b.vm, b.kind, formatSize(b.sizeBytes), formatAge(b.createdAt), b.path]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The block printed once a backup is made. */
export function backupDetails(b: Backup): string {
  return renderDetails([
    ['id', b.id],
    ['vm', b.vm],
    ['kind', b.kind],
    ['based on', b.parent ?? '-'],
    ['size', formatSize(b.sizeBytes)],
    ['path', b.path],
    ['created', formatTime(b.createdAt)],
  ]);
}
