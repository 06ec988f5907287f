/** Table types of herd's database, as Kysely sees them. */
import type { Generated, Selectable } from 'kysely';

/** VMs: spec and desired state (what the user wants) and observed status. */
export interface VmsTable {
  id: string;
  name: string;
  host: string;
  cpus: number;
  memory_mib: number;
  disk_bytes: number;
  image_id: string;
  kernel_cmdline: string | null;
  accel_pref: 'auto' | 'kvm' | 'tcg';
  desired_state: 'running' | 'stopped' | 'paused';
  /** Set when deletion was asked for; the reconciler removes the VM. */
  deleting: number;
  /** Grace for the current stop request (seconds, 0 = force). */
  stop_timeout_s: number;
  /** Bumped by restart; the reconciler restarts while it is ahead of boot_generation. */
  restart_generation: number;
  boot_generation: number;
  state: 'stopped' | 'starting' | 'running' | 'paused' | 'stopping' | 'error';
  accel: 'kvm' | 'tcg' | null;
  pid: number | null;
  reason: string | null;
  last_error: string | null;
  started_at: string | null;
  stop_deadline: string | null;
  state_changed_at: string;
  created_at: string;
  updated_at: string;
}

/** Images. */
export interface ImagesTable {
  id: string;
  name: string;
  kind: 'kernel' | 'disk';
  format: 'qcow2' | 'raw';
  disk_path: string;
  kernel_path: string | null;
  initrd_path: string | null;
  kernel_cmdline: string | null;
  /** Least memory a guest of this image boots with, when known. */
  min_memory_mib: number | null;
  virtual_size: number;
  actual_size: number;
  source: string;
  created_at: string;
}

/** Operations: async jobs, kept so a restarted daemon finds them. */
export interface OperationsTable {
  id: string;
  kind: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  target_type: 'vm' | 'image';
  target_id: string | null;
  target_name: string;
  progress: number;
  message: string;
  /** Internal parameters of the operation (JSON), e.g. the generation a restart waits for. */
  params: string;
  result: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** The append-only event log. */
export interface EventsTable {
  seq: Generated<number>;
  time: string;
  type: string;
  target_type: string;
  target_id: string | null;
  target_name: string;
  message: string;
  data: string;
}

/** The whole database. */
export interface Database {
  vms: VmsTable;
  images: ImagesTable;
  operations: OperationsTable;
  events: EventsTable;
}

/** A VM row. */
export type VmRow = Selectable<VmsTable>;
/** An image row. */
export type ImageRow = Selectable<ImagesTable>;
/** An operation row. */
export type OperationRow = Selectable<OperationsTable>;
/** An event row. */
export type EventRow = Selectable<EventsTable>;
