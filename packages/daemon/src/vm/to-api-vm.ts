/** Converts VM rows to the API's Vm objects. */
import type { HealthCheck, PortForward, Vm, VmDisk, VmNic } from '@herd/api';
import { parsePlacement } from '../cluster/placement-request.js';
import type { VmRow } from '../store/schema.js';

/** The API form of a VM row, given its image's name and its disks and cdrom (see VmView). */
export function toApiVm(row: VmRow, imageName: string, storage: { disks: VmDisk[]; cdrom: string | null; nics: VmNic[] } = { disks: [], cdrom: null, nics: [] }): Vm {
  const live = row.state === 'running' || row.state === 'paused' || row.state === 'stopping' || row.state === 'starting';
  const placement = parsePlacement(row);
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    desiredState: row.desired_state,
    accel: live ? row.accel : null,
    pid: live ? row.pid : null,
    host: row.host,
    placement: { selector: placement.selector ?? {}, groups: placement.groups ?? [] },
    priority: row.priority ?? 0,
    ha: row.ha === 1,
    spec: {
      cpus: row.cpus,
      memoryMiB: row.memory_mib,
      diskBytes: Number(row.disk_bytes),
      image: imageName,
      kernelCmdline: row.kernel_cmdline,
      accel: row.accel_pref,
      restartPolicy: row.restart_policy,
      restartLimit: { maxRestarts: row.restart_max, windowSeconds: row.restart_window_s },
      healthCheck: row.health_check ? (JSON.parse(row.health_check) as HealthCheck) : null,
      watchdog: row.watchdog,
      portForwards: JSON.parse(row.port_forwards) as PortForward[],
      disks: storage.disks,
      cdrom: storage.cdrom,
      display: row.display,
      nics: storage.nics,
    },
    status: {
      reason: row.reason,
      lastError: row.last_error,
      startedAt: live ? row.started_at : null,
      stateChangedAt: row.state_changed_at,
      health: live ? row.health : 'none',
      addresses: storage.nics.flatMap((n) => (n.ip ? [n.ip] : [])),
      restarts: { recent: recentRestarts(row).length, nextAt: row.next_restart_at },
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Restart times (ms) by the policy that are still inside the VM's restart window. */
export function recentRestarts(row: Pick<VmRow, 'restart_times' | 'restart_window_s'>, now = Date.now()): number[] {
  const times = JSON.parse(row.restart_times) as number[];
  return times.filter((t) => now - t < row.restart_window_s * 1000);
}
