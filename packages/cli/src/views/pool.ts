/** How storage pools look in tables and `show` blocks. */
import { formatSize, type Pool } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { paint, type Color } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatTime } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'TYPE' },
  { header: 'CAPACITY', align: 'right' },
  { header: 'ALLOCATED', align: 'right' },
  { header: 'USED', align: 'right' },
  { header: 'USED%', align: 'right' },
  { header: 'FREE', align: 'right' },
  { header: 'VOLUMES', align: 'right' },
];

/** The share of a pool's storage in use, as a whole percentage; '-' when the size is unknown (0). */
export function usedPercent(p: Pick<Pool, 'usedBytes' | 'capacityBytes'>): string {
  return p.capacityBytes > 0 ? `${Math.round((p.usedBytes / p.capacityBytes) * 100)}%` : '-';
}

/** Yellow from 80 % used, red from 90 %: the point where writes, and so guests, start to fail comes fast. */
function fillColor(p: Pool): Color | undefined {
  const ratio = p.capacityBytes > 0 ? p.usedBytes / p.capacityBytes : 0;
  if (ratio >= 0.9) return 'red';
  return ratio >= 0.8 ? 'yellow' : undefined;
}

/** The `herd pool list` table. */
export function poolTable(pools: readonly Pool[], color: boolean, width?: number): string {
  const rows = pools.map((p) => [
    p.name,
    p.type,
    formatSize(p.capacityBytes),
    formatSize(p.allocatedBytes),
    formatSize(p.usedBytes),
    paint(usedPercent(p), fillColor(p), color),
    formatSize(p.freeBytes),
    String(p.volumes),
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd pool show` block. */
export function poolDetails(p: Pool, color: boolean): string {
  const storage: [string, string][] =
    p.type === 'dir'
      ? [['path', p.path ?? '-']]
      : [
          ['volume group', p.volumeGroup ?? '-'],
          ['thin pool', p.thinPool ?? '-'],
        ];
  // Thin provisioning lets volumes promise more than the storage holds; say so, as it is the risk to watch.
  const over = p.capacityBytes > 0 && p.allocatedBytes > p.capacityBytes ? ' (overcommitted: more than the capacity)' : '';
  return renderDetails([
    ['name', p.name],
    ['id', p.id],
    ['type', p.type],
    ...storage,
    ['shared', p.shared ? 'yes (live migration copies no disks)' : 'no'],
    ['capacity', formatSize(p.capacityBytes)],
    ['allocated', `${formatSize(p.allocatedBytes)}${over}`],
    ['used', `${formatSize(p.usedBytes)} (${paint(usedPercent(p), fillColor(p), color)})`],
    ['free', formatSize(p.freeBytes)],
    ['volumes', String(p.volumes)],
    ['created', formatTime(p.createdAt)],
  ]);
}
