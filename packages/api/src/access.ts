/**
 * Who may call which route. Every route of the route table declares what it needs here; the
 * record is typed by route id, so a new route without a declaration does not compile, and the
 * daemon checks the declaration before any handler runs.
 *
 * Project routes act inside one project (the `x-herd-project` header, else the caller's
 * default): they need a role in it at least as strong as `need`. Global routes act on things
 * every project shares (hosts, pools) or on the installation itself (users, projects, audit).
 */
import type { RouteId } from './routes.js';

/** Roles a user holds in a project, weakest first. */
export const projectRoles = ['viewer', 'operator', 'admin'] as const;
/** A role in a project: `viewer` reads, `operator` also runs VMs and opens consoles, `admin` also creates and deletes. */
export type ProjectRole = (typeof projectRoles)[number];

/** What a route needs. */
export type Access =
  /** Anyone, without a token (liveness). */
  | { readonly scope: 'public' }
  /** Any authenticated caller. */
  | { readonly scope: 'authenticated' }
  /** A cluster administrator (users, projects, pools, alerting, audit). */
  | { readonly scope: 'cluster' }
  /** The user named by the `{id}` path parameter themselves, or a cluster administrator. */
  | { readonly scope: 'self' }
  /**
   * A role of at least `need` in the request's project, or, with `projectParam`, in the
   * project that path parameter names.
   */
  | { readonly scope: 'project'; readonly need: ProjectRole; readonly projectParam?: string };

/** The request header that selects the project of a project route. */
export const projectHeader = 'x-herd-project';

const read = { scope: 'project', need: 'viewer' } as const;
const operate = { scope: 'project', need: 'operator' } as const;
const manage = { scope: 'project', need: 'admin' } as const;
const cluster = { scope: 'cluster' } as const;
const authenticated = { scope: 'authenticated' } as const;

/** The access each route needs. */
export const routeAccess: { readonly [K in RouteId]: Access } = {
  getHealth: { scope: 'public' },
  getWhoami: authenticated,
  listHosts: authenticated,
  getHost: authenticated,
  updateHost: cluster,
  deleteHost: cluster,
  startHostMaintenance: cluster,
  endHostMaintenance: cluster,
  evacuateHost: cluster,
  getRebalancePlan: cluster,
  // Choosing hosts is the cluster's business, not a project's.
  migrateVm: cluster,
  prepareMigration: cluster,
  finishMigration: cluster,

  listVms: read,
  getVm: read,
  createVm: manage,
  updateVm: manage,
  deleteVm: manage,
  startVm: operate,
  stopVm: operate,
  restartVm: operate,
  pauseVm: operate,
  resumeVm: operate,
  getVmConsole: operate,
  createConsoleTicket: operate,
  getVmVnc: operate,
  explainPlacement: read,

  listImages: read,
  getImage: read,
  buildImage: manage,
  importImage: manage,
  deleteImage: manage,
  createImageFromVm: manage,

  listPools: authenticated,
  getPool: authenticated,
  createPool: cluster,
  deletePool: cluster,

  listVolumes: read,
  getVolume: read,
  createVolume: manage,
  deleteVolume: manage,
  resizeVolume: manage,
  attachVolume: manage,
  detachVolume: manage,

  listSnapshots: read,
  createSnapshot: manage,
  revertSnapshot: manage,
  deleteSnapshot: manage,
  cloneVm: manage,
  createBackup: manage,
  listBackups: read,
  deleteBackup: manage,
  restoreBackup: manage,

  listNetworks: read,
  getNetwork: read,
  createNetwork: manage,
  deleteNetwork: manage,
  listVmNics: read,
  addVmNic: manage,
  updateVmNic: manage,
  removeVmNic: manage,
  listSecurityGroups: read,
  getSecurityGroup: read,
  createSecurityGroup: manage,
  deleteSecurityGroup: manage,
  addSecurityGroupRule: manage,
  removeSecurityGroupRule: manage,

  listOperations: read,
  getOperation: read,
  listEvents: read,

  createAlertRule: cluster,
  listAlertRules: cluster,
  deleteAlertRule: cluster,
  listAlerts: cluster,
  listAnomalies: cluster,
  listForecasts: cluster,
  createWebhook: cluster,
  listWebhooks: cluster,
  deleteWebhook: cluster,
  listWebhookDeliveries: cluster,
  queryMetrics: read,
  listMetricSeries: cluster,
  getMetricsLatest: cluster,

  listProjects: authenticated,
  getProject: { scope: 'project', need: 'viewer', projectParam: 'id' },
  createProject: cluster,
  updateProject: cluster,
  deleteProject: cluster,
  setProjectMember: { scope: 'project', need: 'admin', projectParam: 'id' },
  removeProjectMember: { scope: 'project', need: 'admin', projectParam: 'id' },
  listUsers: cluster,
  getUser: { scope: 'self' },
  createUser: cluster,
  deleteUser: cluster,
  listTokens: { scope: 'self' },
  createToken: { scope: 'self' },
  revokeToken: { scope: 'self' },
  listAudit: cluster,
  verifyAudit: cluster,
};

/** True when `role` is at least `need`. */
export function roleAllows(role: ProjectRole, need: ProjectRole): boolean {
  return projectRoles.indexOf(role) >= projectRoles.indexOf(need);
}
