/** Converts VM rows to the API's Vm objects. */
import type { Vm } from '@herd/api';
import type { VmRow } from '../store/schema.js';

/** The API form of a VM row; `imageName` resolves the image id to its name. */
export function toApiVm(row: VmRow, imageName: string): Vm {
  const live = row.state === 'running' || row.state === 'paused' || row.state === 'stopping' || row.state === 'starting';
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    desiredState: row.desired_state,
    accel: live ? row.accel : null,
    pid: live ? row.pid : null,
    host: row.host,
    spec: {
      cpus: row.cpus,
      memoryMiB: row.memory_mib,
      diskBytes: Number(row.disk_bytes),
      image: imageName,
      kernelCmdline: row.kernel_cmdline,
      accel: row.accel_pref,
    },
    status: {
      reason: row.reason,
      lastError: row.last_error,
      startedAt: live ? row.started_at : null,
      stateChangedAt: row.state_changed_at,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
