/** How hosts look in tables and `show` blocks. */
import { formatSize, type Host } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { formatTime } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'ACCEL' },
  { header: 'CPUS', align: 'right' },
  { header: 'MEMORY', align: 'right' },
  { header: 'VMS', align: 'right' },
  { header: 'QEMU', shrink: true },
  { header: 'HERD' },
];

/** The `herd host list` table. */
export function hostTable(hosts: readonly Host[], width?: number): string {
  const rows = hosts.map((h) => [
    h.name,
    h.accel,
    String(h.cpus),
    formatSize(h.memoryBytes),
    `${h.vms.running}/${h.vms.total}`,
    h.qemuVersion,
    h.herdVersion,
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd host show` block. */
export function hostDetails(h: Host): string {
  return renderDetails([
    ['name', h.name],
    ['accel', `${h.accel} (asked: ${h.accelPreference}; ${h.accelReason})`],
    ['kvm usable', h.kvmUsable ? 'yes' : 'no'],
    ['cpus', String(h.cpus)],
    ['memory', formatSize(h.memoryBytes)],
    ['vms', `${h.vms.running} running of ${h.vms.total}`],
    ['qemu', h.qemuVersion],
    ['kernel', h.kernel],
    ['herd', h.herdVersion],
    ['data dir', h.dataDir],
    ['started', formatTime(h.startedAt)],
  ]);
}
