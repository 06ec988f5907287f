/** How VMs look in tables and `show` blocks. */
import { allowedActions, formatSize, type Vm, type VmDisk } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { paintState } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatAge, formatTime } from '../output/time.js';

const MiB = 1024 ** 2;

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'STATE' },
  { header: 'ACCEL' },
  { header: 'CPUS', align: 'right' },
  { header: 'MEMORY', align: 'right' },
  { header: 'PID', align: 'right' },
  { header: 'IMAGE', shrink: true },
  { header: 'AGE', align: 'right' },
];

/** The `herd vm list` table. */
export function vmTable(vms: readonly Vm[], color: boolean, width?: number): string {
  const rows = vms.map((vm) => [
    vm.name,
    paintState(vm.state, color),
    vm.accel ?? '-',
    String(vm.spec.cpus),
    formatSize(vm.spec.memoryMiB * MiB),
    vm.pid === null ? '-' : String(vm.pid),
    vm.spec.image,
    formatAge(vm.createdAt),
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}

const diskColumns: readonly Column[] = [
  { header: 'VOLUME' },
  { header: 'POOL' },
  { header: 'FORMAT' },
  { header: 'SIZE', align: 'right' },
  { header: 'ROLE' },
  { header: 'DEVICE' },
];

/** The table of a VM's disks under its `show` block. */
export function vmDiskTable(disks: readonly VmDisk[]): string {
  return renderTable(diskColumns, disks.map((d) => [d.volume, d.pool, d.format, formatSize(d.sizeBytes), d.role, d.device]));
}

/** The `herd vm show` block, then its disks. */
export function vmDetails(vm: Vm, color: boolean): string {
  const state = vm.desiredState === vm.state ? vm.state : `${vm.state} (desired: ${vm.desiredState})`;
  // Daemons from before storage volumes send neither disks nor cdrom.
  const disks = vm.spec.disks ?? [];
  const details = renderDetails([
    ['name', vm.name],
    ['id', vm.id],
    ['state', paintState(state, color)],
    ['reason', vm.status.reason ?? '-'],
    ['last error', vm.status.lastError ?? '-'],
    ['host', vm.host],
    ['accel', vm.accel ? `${vm.accel} (asked: ${vm.spec.accel})` : `- (asked: ${vm.spec.accel})`],
    ['pid', vm.pid === null ? '-' : String(vm.pid)],
    ['image', vm.spec.image],
    ['cpus', String(vm.spec.cpus)],
    ['memory', formatSize(vm.spec.memoryMiB * MiB)],
    ['root disk', formatSize(vm.spec.diskBytes)],
    ['cdrom', vm.spec.cdrom ? `${vm.spec.cdrom} (boots first)` : '-'],
    ['cmdline', vm.spec.kernelCmdline ?? '-'],
    ['restart', `${vm.spec.restartPolicy} (at most ${vm.spec.restartLimit.maxRestarts} in ${vm.spec.restartLimit.windowSeconds} s; ${vm.status.restarts.recent} recent${vm.status.restarts.nextAt ? `, next at ${vm.status.restarts.nextAt}` : ''})`],
    ['health', vm.spec.healthCheck ? `${vm.status.health} (${vm.spec.healthCheck.type === 'tcp' ? `tcp ${vm.spec.healthCheck.host ?? '127.0.0.1'}:${vm.spec.healthCheck.port}` : `console /${vm.spec.healthCheck.pattern}/`})` : '-'],
    ['watchdog', vm.spec.watchdog],
    ['forwards', vm.spec.portForwards.length ? vm.spec.portForwards.map((f) => `127.0.0.1:${f.hostPort}->${f.guestPort}`).join(', ') : '-'],
    ['started', formatTime(vm.status.startedAt)],
    ['created', formatTime(vm.createdAt)],
    ['actions', allowedActions(vm.state).join(', ')],
  ]);
  return disks.length ? `${details}\n${vmDiskTable(disks)}` : details;
}
