/** How VMs look in tables and `show` blocks. */
import { allowedActions, formatSize, type Placement, type Vm, type VmDisk } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { paintState, visibleWidth } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatAge, formatTime } from '../output/time.js';
import { vmNicTable } from './nic.js';

const MiB = 1024 ** 2;

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'STATE' },
  { header: 'HOST', shrink: true },
  { header: 'ACCEL' },
  { header: 'CPUS', align: 'right' },
  { header: 'MEMORY', align: 'right' },
  { header: 'PID', align: 'right' },
  { header: 'IMAGE', shrink: true },
  { header: 'AGE', align: 'right' },
];

const addressColumn: Column = { header: 'ADDRESSES' };

/**
 * A VM's addresses in one cell: the first, and how many more (`10.0.0.5 +1`). A cut address
 * would mislead, so the cell is never truncated; `herd vm show` lists them all.
 */
export function addressCell(addresses: readonly string[] | undefined): string {
  const [first, ...rest] = addresses ?? [];
  if (first === undefined) return '-';
  return rest.length ? `${first} +${rest.length}` : first;
}

/**
 * The `herd vm list` table. Its last column, ADDRESSES, is left out when the terminal is too
 * narrow for it even with the other columns shrunk.
 */
export function vmTable(vms: readonly Vm[], color: boolean, width?: number): string {
  const rows = vms.map((vm) => [
    vm.name,
    paintState(vm.state, color),
    vm.host,
    vm.accel ?? '-',
    String(vm.spec.cpus),
    formatSize(vm.spec.memoryMiB * MiB),
    vm.pid === null ? '-' : String(vm.pid),
    vm.spec.image,
    formatAge(vm.createdAt),
    // Daemons from before herd networks send no addresses.
    addressCell(vm.status.addresses),
  ]);
  const wide = renderTable([...columns, addressColumn], rows, { maxWidth: width });
  if (width === undefined || wide.split('\n').every((line) => visibleWidth(line) <= width)) return wide;
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

/** The `herd vm show` block, then its disks and NICs. */
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
    // Daemons from before the scheduler send no placement, priority or HA.
    ['placement', placementText(vm.placement)],
    ['priority', String(vm.priority ?? 0)],
    ['ha', vm.ha ? 'yes: restarted on another host if its host fails' : 'no'],
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
    ['display', vm.spec.display],
    ['addresses', vm.status.addresses?.length ? vm.status.addresses.join(', ') : '-'],
    ['forwards', forwards(vm)],
    ['started', formatTime(vm.status.startedAt)],
    ['created', formatTime(vm.createdAt)],
    ['actions', allowedActions(vm.state).join(', ')],
  ]);
  const nics = vm.spec.nics ?? [];
  return [details, ...(disks.length ? [vmDiskTable(disks)] : []), ...(nics.length ? [vmNicTable(nics)] : [])].join('\n');
}

/** A VM's placement in one line: `zone=a; db (anti-affinity), web (affinity, soft)`, or `-` for none. */
export function placementText(p: Placement | undefined): string {
  const selector = Object.entries(p?.selector ?? {}).map(([k, v]) => `${k}=${v}`);
  const groups = (p?.groups ?? []).map((g) => {
    const notes = [g.policy, ...(g.hard === false ? ['soft'] : []), ...(g.maxPerHost !== undefined && g.maxPerHost !== 1 ? [`max ${g.maxPerHost} per host`] : [])];
    return `${g.name} (${notes.join(', ')})`;
  });
  const parts = [...(selector.length ? [`hosts with ${selector.join(', ')}`] : []), ...(groups.length ? [`groups ${groups.join(', ')}`] : [])];
  return parts.length ? parts.join('; ') : '-';
}

/**
 * The port forwards. They always go through a QEMU user-mode NIC; a VM without NICs on herd
 * networks has no other way out, which is worth saying.
 */
function forwards(vm: Vm): string {
  const list = vm.spec.portForwards.map((f) => `127.0.0.1:${f.hostPort}->${f.guestPort}`).join(', ');
  if (!list) return '-';
  return (vm.spec.nics ?? []).length ? list : `${list} (QEMU user-mode networking only)`;
}
