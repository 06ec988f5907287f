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
  restart_policy: 'no' | 'on-failure' | 'always';
  restart_max: number;
  restart_window_s: number;
  /** JSON of the API's HealthCheck, or null. */
  health_check: string | null;
  watchdog: 'off' | 'poweroff' | 'reset' | 'pause';
  /** JSON array of the API's PortForward. */
  port_forwards: string;
  /** JSON array of restart times (ms) by the policy within the window. */
  restart_times: string;
  next_restart_at: string | null;
  health: 'none' | 'starting' | 'healthy' | 'unhealthy';
  /** An ISO image attached as a cdrom, or null. */
  cdrom_image_id: string | null;
  /** The snapshot the VM's disks run on top of (the last taken or reverted to). */
  current_snapshot_id: string | null;
  /** Name of a snapshot with memory to load at the next start (set by a revert), or null. */
  resume_snapshot: string | null;
  /** `vnc`: a VGA card served over VNC on a unix socket (from the next start). */
  display: 'none' | 'vnc';
  /** The owning project (set by the repository from the request's scope). */
  project_id?: string | null;
  /** The uid and gid its QEMU runs as (confine/run-uids.ts); null until a root daemon first starts it. */
  run_uid?: number | null;
  /** JSON of the API's Placement (host selector, affinity groups); `{}` when none. */
  placement?: string;
  /** Order of HA restarts and scheduling batches: higher first. */
  priority?: number;
  /** 1: restarted on another host when its host fails (after fencing). */
  ha?: number;
  /** The host a live migration is moving it to, while one runs; the reconcilers keep off. */
  migrating_to?: string | null;
}

/** A host of the cluster, as it registered and last reported (cluster/host-repo.ts). */
export interface HostsTable {
  name: string;
  /** Base URL other hosts reach its API on (`--advertise`), or null on a single host. */
  address: string | null;
  cpus: number;
  memory_mib: number;
  /** Capacity of the pools it holds VM disks in. */
  disk_gib: number;
  accel: 'kvm' | 'tcg';
  /** JSON object of labels. */
  labels: string;
  /** JSON array of pool names it reaches. */
  pools: string;
  /** JSON array of network names present on it. */
  networks: string;
  /** JSON of per-host overcommit ratios ({cpu?, memory?, disk?}). */
  overcommit: string;
  /** active: takes VMs; draining: being emptied by live migration; maintenance: empty, takes none. */
  mode: 'active' | 'draining' | 'maintenance';
  /** offline: its lease ran out and the leader fenced it (its VMs were moved or stopped). */
  status: 'online' | 'offline';
  /** Busy share of its CPUs at the last heartbeat, 0..1. */
  load_cpu: number | null;
  heartbeat_at: string;
  /** Written from the database's clock; past it the host counts as failed. */
  lease_expires_at: string;
  started_at: string;
  herd_version: string;
  qemu_version: string;
  kernel: string;
  created_at: string;
  /** The accelerator asked for (`--accel`), and why `accel` is what it is. */
  accel_preference: 'auto' | 'kvm' | 'tcg';
  accel_reason: string;
  /** 1 when /dev/kvm is usable there (even if TCG was chosen). */
  kvm_usable: number;
  data_dir: string;
}

/** Secrets shared by all hosts (`ca.crt`, `ca.key`, `forward.key`). */
export interface ClusterSecretsTable {
  name: string;
  value: string;
}

/** Named leases (`leader`): held by one host until `expires_at` (database clock). */
export interface LeasesTable {
  name: string;
  holder: string;
  /** Grows whenever the lease changes hands. */
  term: number;
  expires_at: string;
}

/** The count of QEMU uids ever handed out (one row, id 1); see confine/run-uids.ts. */
export interface RunUidsTable {
  id: number;
  issued: number;
}

/** Storage pools. */
export interface PoolsTable {
  id: string;
  name: string;
  type: 'dir' | 'lvm-thin';
  /** dir: the directory. */
  path: string | null;
  volume_group: string | null;
  thin_pool: string | null;
  shared: number;
  created_at: string;
}

/** Volumes: virtual disks in pools. */
export interface VolumesTable {
  id: string;
  name: string;
  pool_id: string;
  format: 'qcow2' | 'raw';
  size_bytes: number;
  /** File or block device. */
  path: string;
  /** root: a VM's boot disk; data: made by the user; layer: a frozen base that linked clones share (hidden). */
  role: 'root' | 'data' | 'layer';
  vm_id: string | null;
  /** Order of attachment among a VM's data disks. */
  attach_order: number;
  /** The image this volume is a copy-on-write overlay of, if any. */
  image_id: string | null;
  /** The layer volume this volume is a copy-on-write overlay of, if any. */
  layer_id: string | null;
  encrypted: number;
  created_at: string;
  updated_at: string;
  /** The owning project (set by the repository from the request's scope). */
  project_id?: string | null;
}

/** Snapshots of VMs (all disks, optionally memory). */
export interface SnapshotsTable {
  id: string;
  vm_id: string;
  name: string;
  parent_id: string | null;
  with_memory: number;
  vm_state: 'running' | 'paused' | 'stopped';
  description: string;
  created_at: string;
}

/** Networks. */
export interface NetworksTable {
  id: string;
  name: string;
  type: 'nat' | 'isolated' | 'bridged' | 'vxlan';
  cidr: string | null;
  gateway: string | null;
  dhcp_start: string | null;
  dhcp_end: string | null;
  /** herd's bridge (hb-...), or the host bridge of a bridged network. */
  bridge: string;
  vlan: number | null;
  /** The VXLAN network identifier of a vxlan network (unique), else null. */
  vni: number | null;
  mtu: number;
  /** Set when deletion was asked for; the network reconciler tears it down. */
  deleting: number;
  state: 'pending' | 'ready' | 'error';
  error: string | null;
  created_at: string;
  /** The owning project (set by the repository from the request's scope). */
  project_id?: string | null;
}

/** NICs of VMs. */
export interface NicsTable {
  id: string;
  vm_id: string;
  network_id: string;
  mac: string;
  ip: string | null;
  /** Order among the VM's NICs (the guest's eth0, eth1, ...). */
  position: number;
  /** JSON array of security group ids. */
  security_groups: string;
  created_at: string;
}

/** Security groups. */
export interface SecurityGroupsTable {
  id: string;
  name: string;
  description: string;
  created_at: string;
  /** The owning project (set by the repository from the request's scope). */
  project_id?: string | null;
}

/** Allow rules of security groups. */
export interface SecurityGroupRulesTable {
  id: string;
  group_id: string;
  direction: 'ingress' | 'egress';
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  port_from: number | null;
  port_to: number | null;
  remote_cidr: string | null;
  created_at: string;
}

/** Backup archives. */
export interface BackupsTable {
  id: string;
  vm_id: string;
  vm_name: string;
  path: string;
  kind: 'full' | 'incremental';
  parent_id: string | null;
  size_bytes: number;
  created_at: string;
  /** The owning project (set by the repository from the request's scope). */
  project_id?: string | null;
}

/** Images. */
export interface ImagesTable {
  id: string;
  name: string;
  kind: 'kernel' | 'disk' | 'iso';
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
  /** The owning project (set by the repository from the request's scope). */
  project_id?: string | null;
}

/** Operations: async jobs, kept so a restarted daemon finds them. */
export interface OperationsTable {
  id: string;
  kind: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  target_type: 'vm' | 'image' | 'volume' | 'host';
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
  /** The owning project (set by the repository from the request's scope). */
  project_id?: string | null;
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
  /** The owning project (set by the repository from the request's scope). */
  project_id?: string | null;
}

/** Metrics: one row per series (metric + target); samples refer to it by id. */
export interface MetricSeriesTable {
  id: Generated<number>;
  metric: string;
  target: string;
}

/** Raw metric samples (time in ms since the epoch), kept for hours. */
export interface MetricSamplesTable {
  series_id: number;
  time: number;
  value: number;
}

/** Per-minute rollups of metric samples (bucket = minute start, ms), kept for weeks. */
export interface MetricRollupsTable {
  series_id: number;
  bucket: number;
  n: number;
  v_sum: number;
  v_min: number;
  v_max: number;
}

/** Alert rules. */
export interface AlertRulesTable {
  id: string;
  name: string;
  metric: string;
  /** The series target (a VM id, `host`, a pool name) or `*`. */
  target: string;
  /** The target as the user gave it (a VM name). */
  target_name: string;
  op: '>' | '<';
  threshold: number;
  for_seconds: number;
  severity: 'info' | 'warning' | 'critical';
  created_at: string;
}

/** Webhooks: where events are POSTed. */
export interface WebhooksTable {
  id: string;
  url: string;
  /** JSON array of event type patterns; empty means all. */
  events: string;
  /** HMAC key for the signature header, or null. */
  secret: string | null;
  created_at: string;
}

/** One event to deliver to one webhook; kept so a restart resumes pending deliveries. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_seq: number;
  event_type: string;
  /** The JSON body to POST. */
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  /** When to try next, ms since the epoch; null once finished. */
  next_attempt_at: number | null;
  created_at: string;
  delivered_at: string | null;
}

/** The whole database. */
export interface Database {
  vms: VmsTable;
  images: ImagesTable;
  operations: OperationsTable;
  events: EventsTable;
  alert_rules: AlertRulesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  metric_series: MetricSeriesTable;
  metric_samples: MetricSamplesTable;
  metric_rollups: MetricRollupsTable;
  pools: PoolsTable;
  volumes: VolumesTable;
  snapshots: SnapshotsTable;
  backups: BackupsTable;
  networks: NetworksTable;
  nics: NicsTable;
  security_groups: SecurityGroupsTable;
  security_group_rules: SecurityGroupRulesTable;
  projects: ProjectsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  tokens: TokensTable;
  run_uids: RunUidsTable;
  audit_log: AuditLogTable;
  hosts: HostsTable;
  leases: LeasesTable;
  cluster_secrets: ClusterSecretsTable;
}

/** Projects (tenants). */
export interface ProjectsTable {
  id: string;
  name: string;
  description: string;
  /** The quota, as JSON (ProjectLimits of @herd/api). */
  limits: string;
  created_at: string;
}

/** Users. */
export interface UsersTable {
  id: string;
  name: string;
  cluster_admin: number;
  created_at: string;
}

/** A user's role in a project. */
export interface MembershipsTable {
  user_id: string;
  project_id: string;
  role: 'viewer' | 'operator' | 'admin';
}

/** API tokens; only the sha256 of the secret is kept. */
export interface TokensTable {
  id: string;
  user_id: string;
  name: string;
  hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/**
 * The audit log: one row per state-changing request, never updated or deleted (see
 * audit/audit-log.ts). `hash` chains each row to the one before it.
 */
export interface AuditLogTable {
  seq: Generated<number>;
  at: string;
  user_name: string;
  project: string | null;
  /** The route id, e.g. `createVm`; `unknown` outside the route table. */
  action: string;
  method: string;
  /** The request path, without the query string. */
  path: string;
  target: string | null;
  /** JSON `{query, body}` with secrets redacted; hashed as stored. */
  params: string;
  status: number;
  result: 'ok' | 'error';
  /** The previous record's hash; 64 zeros for the first. */
  prev_hash: string;
  hash: string;
}

/** An audit log row. */
export type AuditLogRow = Selectable<AuditLogTable>;

/** A row of an owned table: the repository sets `project_id`, so callers that build rows leave it out. */
type Owned<R> = Omit<R, 'project_id'> & { readonly project_id?: string | null };

/** A VM row. */
export type VmRow = Owned<Selectable<VmsTable>>;
/** An image row. */
export type ImageRow = Owned<Selectable<ImagesTable>>;
/** A pool row. */
export type PoolRow = Selectable<PoolsTable>;
/** A volume row. */
export type VolumeRow = Owned<Selectable<VolumesTable>>;
/** A snapshot row. */
export type SnapshotRow = Selectable<SnapshotsTable>;
/** A network row. */
export type NetworkRow = Owned<Selectable<NetworksTable>>;
/** A NIC row. */
export type NicRow = Selectable<NicsTable>;
/** A security group row. */
export type SecurityGroupRow = Owned<Selectable<SecurityGroupsTable>>;
/** A security group rule row. */
export type SecurityGroupRuleRow = Selectable<SecurityGroupRulesTable>;
/** A backup row. */
export type BackupRow = Owned<Selectable<BackupsTable>>;
/** An operation row. */
export type OperationRow = Owned<Selectable<OperationsTable>>;
/** An event row. */
export type EventRow = Owned<Selectable<EventsTable>>;
/** A project row. */
export type ProjectRow = Selectable<ProjectsTable>;
/** A user row. */
export type UserRow = Selectable<UsersTable>;
/** A token row. */
export type TokenRow = Selectable<TokensTable>;
/** A host row. */
export type HostRow = Selectable<HostsTable>;
/** A lease row. */
export type LeaseRow = Selectable<LeasesTable>;
