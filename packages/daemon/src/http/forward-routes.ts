/**
 * Which host serves each route in a cluster. Any host serves what it can from the shared
 * database (`local`); what needs a VM's QEMU, QMP socket, console log, VNC socket or disk files,
 * or state held in that host's memory (console tickets, health checks), is relayed to the host
 * that runs the VM. The record is typed by route id like `routeAccess`, so a new route does not
 * compile until it says where it runs.
 */
import type { RouteId } from '@herd/api';

/** How the host that must serve a request is found. */
export type ForwardRule =
  /** Any host, from the database (or from files every host has alike). */
  | { readonly to: 'local' }
  /** The host of the VM named by the `{id}` path parameter. */
  | { readonly to: 'vm'; readonly param: 'id' }
  /** The host of the VM named by a field of the body. */
  | { readonly to: 'vm'; readonly body: 'vm' }
  /** The host of the VM the volume named by `{id}` is attached to; any host when it is attached to none. */
  | { readonly to: 'volume'; readonly param: 'id' }
  /** The host of the VM the backup named by `{id}` was taken of; any host when that VM is gone. */
  | { readonly to: 'backup'; readonly param: 'id' }
  /** The host named by `{id}` itself (what it does to itself: drains). */
  | { readonly to: 'host'; readonly param: 'id' };

const local = { to: 'local' } as const;
const vm = { to: 'vm', param: 'id' } as const;
const vmInBody = { to: 'vm', body: 'vm' } as const;
const attachedVm = { to: 'volume', param: 'id' } as const;
const namedHost = { to: 'host', param: 'id' } as const;

/** Where each route runs. */
export const forwardRoutes: { readonly [K in RouteId]: ForwardRule } = {
  getHealth: local,
  getWhoami: local,
  listHosts: local,
  // `local` in the path means the host that was asked, by design.
  getHost: local,
  updateHost: local,
  deleteHost: local,
  // A host drains itself, so that each migration is its own and can be cancelled.
  startHostMaintenance: namedHost,
  endHostMaintenance: namedHost,
  evacuateHost: namedHost,
  getRebalancePlan: local,

  listVms: local,
  getVm: local,
  // Placement picks the host; that host's reconciler creates the disk and starts the VM.
  createVm: local,
  // Restart policy, health check and watchdog are also held by the VM's health monitor.
  updateVm: vm,
  deleteVm: vm,
  startVm: vm,
  stopVm: vm,
  restartVm: vm,
  pauseVm: vm,
  resumeVm: vm,
  // The log as text; the WebSocket side is relayed before authentication (forward-hook.ts).
  getVmConsole: vm,
  // A ticket lives in the memory of the host that issued it, which must be the one that
  // accepts the console WebSocket.
  createConsoleTicket: vm,
  getVmVnc: vm,
  // A computation over the database's hosts and VMs.
  explainPlacement: local,
  // The source host runs a migration; the destination's two steps are called on it directly.
  migrateVm: vm,
  prepareMigration: local,
  finishMigration: local,

  listImages: local,
  getImage: local,
  buildImage: local,
  importImage: local,
  deleteImage: local,
  // Reads the VM's root disk, which is on its host.
  createImageFromVm: vmInBody,

  listPools: local,
  getPool: local,
  createPool: local,
  deletePool: local,

  listVolumes: local,
  getVolume: local,
  createVolume: local,
  // A volume that no VM uses has no host to prefer (deleting an attached one is refused).
  deleteVolume: local,
  // Live through QMP while its VM runs.
  resizeVolume: attachedVm,
  attachVolume: vmInBody,
  detachVolume: attachedVm,

  // Rows of the database; everything that changes snapshots needs the VM's disks.
  listSnapshots: local,
  createSnapshot: vm,
  revertSnapshot: vm,
  deleteSnapshot: vm,
  cloneVm: vm,
  createBackup: vm,
  listBackups: local,
  // The archive is a file on the host that wrote it, the VM's host at the time; backups do not
  // record their host yet, so the VM's host now is the best guess.
  deleteBackup: { to: 'backup', param: 'id' },
  // The archive is a path on the host that was asked (or a backup id); the new VM is made there.
  restoreBackup: local,

  listNetworks: local,
  getNetwork: local,
  createNetwork: local,
  deleteNetwork: local,
  listVmNics: local,
  // Hot-plug, and the NIC's tap and firewall rules, are on the VM's host.
  addVmNic: vm,
  updateVmNic: vm,
  removeVmNic: vm,
  listSecurityGroups: local,
  getSecurityGroup: local,
  createSecurityGroup: local,
  deleteSecurityGroup: local,
  // A group's NICs may be on every host; each applies the rules to its own taps.
  addSecurityGroupRule: local,
  removeSecurityGroupRule: local,

  listOperations: local,
  // `?wait=true` waits on the shared row, whichever host runs the operation.
  getOperation: local,
  listEvents: local,

  createAlertRule: local,
  listAlertRules: local,
  deleteAlertRule: local,
  listAlerts: local,
  listAnomalies: local,
  listForecasts: local,
  createWebhook: local,
  listWebhooks: local,
  deleteWebhook: local,
  listWebhookDeliveries: local,
  queryMetrics: local,
  listMetricSeries: local,
  // This host's sampler: its own VMs and itself.
  getMetricsLatest: local,

  listProjects: local,
  getProject: local,
  createProject: local,
  updateProject: local,
  deleteProject: local,
  setProjectMember: local,
  removeProjectMember: local,
  listUsers: local,
  getUser: local,
  createUser: local,
  deleteUser: local,
  listTokens: local,
  createToken: local,
  revokeToken: local,
  listAudit: local,
  verifyAudit: local,
};

/** What to look the owning host up by. */
export interface OwnerRef {
  readonly kind: 'vm' | 'volume' | 'backup' | 'host';
  /** An id or a name (for backups, an id or an archive path). */
  readonly ref: string;
}

/**
 * What decides the host of a request to a route with `rule`, from its validated path
 * parameters and body; undefined when any host serves it.
 */
export function ownerRefOf(rule: ForwardRule, params: unknown, body: unknown): OwnerRef | undefined {
  if (rule.to === 'local') return undefined;
  const source = 'body' in rule ? body : params;
  const key = 'body' in rule ? rule.body : rule.param;
  const ref = source && typeof source === 'object' ? (source as Record<string, unknown>)[key] : undefined;
  if (typeof ref !== 'string' || ref === '') return undefined;
  return { kind: rule.to, ref };
}
