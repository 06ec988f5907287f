/** How hosts look in tables and `show` blocks. */
import { formatSize, type Host } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { paint, type Color } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatTime } from '../output/time.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'STATUS' },
  { header: 'MODE' },
  { header: 'LEADER' },
  { header: 'VMS', align: 'right' },
  { header: 'VCPUS', align: 'right' },
  { header: 'MEMORY', align: 'right' },
  { header: 'LOAD', align: 'right' },
  { header: 'LABELS', shrink: true },
];

/**
 * What the table says of a host's health: `late` when its lease ran out but the leader has not
 * fenced it (yet; or no leader runs), which is when a host is most worth a look.
 */
export function hostState(h: Pick<Host, 'status' | 'alive'>): 'online' | 'offline' | 'late' {
  if (h.status === 'offline') return 'offline';
  return h.alive ? 'online' : 'late';
}

const stateColor: Readonly<Record<ReturnType<typeof hostState>, Color | undefined>> = { online: undefined, late: 'yellow', offline: 'red' };

/** `k=v,k2=v2`, or '-' without labels. */
export function labelText(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(',') : '-';
}

const percent = (share: number | null) => (share === null ? '-' : `${Math.round(share * 100)}%`);
const memory = (h: Host, which: 'allocated' | 'capacity') => formatSize(h[which].memoryMiB * MiB);

/** The `herd host list` table. */
export function hostTable(hosts: readonly Host[], color: boolean, width?: number): string {
  const rows = hosts.map((h) => [
    h.name,
    paint(hostState(h), stateColor[hostState(h)], color),
    h.mode,
    h.leader ? '*' : '',
    `${h.vms.running}/${h.vms.total}`,
    `${h.allocated.vcpus}/${h.capacity.vcpus}`,
    `${memory(h, 'allocated')}/${memory(h, 'capacity')}`,
    percent(h.loadCpu),
    labelText(h.labels),
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** A ratio as set, or the cluster default. */
const ratio = (v: number | undefined) => (v === undefined ? 'cluster default' : `${v}`);

/** The `herd host show` block. */
export function hostDetails(h: Host, color: boolean): string {
  return renderDetails([
    ['name', h.name],
    ['status', `${paint(hostState(h), stateColor[hostState(h)], color)}${h.leader ? ' (leader)' : ''}`],
    ['mode', h.mode],
    ['address', h.address ?? '-'],
    ['labels', labelText(h.labels)],
    ['heartbeat', formatTime(h.heartbeatAt)],
    ['lease until', formatTime(h.leaseExpiresAt)],
    ['vcpus', `${h.allocated.vcpus} allocated of ${h.capacity.vcpus} CPUs (overcommit ${ratio(h.overcommit.cpu)})`],
    ['memory', `${memory(h, 'allocated')} allocated of ${memory(h, 'capacity')} (overcommit ${ratio(h.overcommit.memory)})`],
    ['disk', `${formatSize(h.allocated.diskGiB * GiB)} allocated of ${formatSize(h.capacity.diskGiB * GiB)} (overcommit ${ratio(h.overcommit.disk)})`],
    ['load', percent(h.loadCpu)],
    ['vms', `${h.vms.running} running of ${h.vms.total}`],
    ['pools', h.pools.join(', ') || '-'],
    ['networks', h.networks.join(', ') || '-'],
    ['accel', `${h.accel} (asked: ${h.accelPreference}; ${h.accelReason})`],
    ['kvm usable', h.kvmUsable ? 'yes' : 'no'],
    ['qemu', h.qemuVersion],
    ['kernel', h.kernel],
    ['herd', h.herdVersion],
    ['data dir', h.dataDir],
    ['started', formatTime(h.startedAt)],
  ]);
}
