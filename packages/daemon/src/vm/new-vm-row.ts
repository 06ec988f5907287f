/** A fresh VM record: stopped, never booted, no history. */
import { randomUUID } from 'node:crypto';
import type { VmRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';

/** Defaults of restart limits: more than 5 restarts in 10 minutes is a crash loop. */
export const defaultRestartLimit = { maxRestarts: 5, windowSeconds: 600 } as const;
/** Default grace for an ACPI shutdown before it is forced. */
export const defaultStopTimeoutS = 60;

/** The spec part of a new VM. */
export type NewVmSpec = Pick<VmRow, 'name' | 'host' | 'cpus' | 'memory_mib' | 'disk_bytes' | 'image_id' | 'kernel_cmdline' | 'accel_pref'> &
  Partial<Pick<VmRow, 'desired_state' | 'restart_policy' | 'restart_max' | 'restart_window_s' | 'health_check' | 'watchdog' | 'port_forwards' | 'cdrom_image_id' | 'reason' | 'display' | 'placement' | 'priority' | 'ha'>>;

/** A new VM row for `spec`, with a new id. */
export function newVmRow(spec: NewVmSpec): VmRow {
  const now = nowIso();
  return {
    id: randomUUID(),
    desired_state: 'stopped',
    deleting: 0,
    stop_timeout_s: defaultStopTimeoutS,
    restart_generation: 0,
    boot_generation: 0,
    state: 'stopped',
    accel: null,
    pid: null,
    reason: 'created',
    last_error: null,
    started_at: null,
    stop_deadline: null,
    state_changed_at: now,
    created_at: now,
    updated_at: now,
    restart_policy: 'no',
    restart_max: defaultRestartLimit.maxRestarts,
    restart_window_s: defaultRestartLimit.windowSeconds,
    health_check: null,
    watchdog: 'off',
    port_forwards: '[]',
    restart_times: '[]',
    next_restart_at: null,
    health: 'none',
    cdrom_image_id: null,
    current_snapshot_id: null,
    resume_snapshot: null,
    display: 'none',
    // Allocated at its first start by a confining daemon (confine/run-uids.ts).
    run_uid: null,
    placement: '{}',
    priority: 0,
    ha: 0,
    migrating_to: null,
    ...spec,
  };
}
