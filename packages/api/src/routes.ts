/**
 * The route table: every route of the REST API, with its schemas. The daemon registers its
 * handlers against this table (and fails to start if one is missing), the OpenAPI document is
 * generated from it, and the typed client calls through it, so the three cannot drift apart.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { IdOrName, WaitQuery } from './schemas/common.js';
import {
  Alert,
  AlertListQuery,
  AlertRule,
  AlertRuleCreate,
  Anomaly,
  AnomalyListQuery,
  DeliveryListQuery,
  Forecast,
  Webhook,
  WebhookCreate,
  WebhookDelivery,
} from './schemas/alerts.js';
import { Event, EventQuery } from './schemas/event.js';
import { MetricSeries, MetricSeriesInfo, MetricsLatest, MetricsQuery } from './schemas/metrics.js';
import { Host } from './schemas/host.js';
import { Image, ImageBuild, ImageImport } from './schemas/image.js';
import { Operation, OperationListQuery } from './schemas/operation.js';
import {
  Backup,
  BackupCreate,
  BackupListQuery,
  BackupRestore,
  ImageFromVm,
  Pool,
  PoolCreate,
  Snapshot,
  SnapshotCreate,
  SnapshotRef,
  VmClone,
  Volume,
  VolumeAttach,
  VolumeCreate,
  VolumeListQuery,
  VolumeResize,
} from './schemas/storage.js';
import { ConsoleQuery, EmptyBody, Vm, VmCreate, VmStopBody } from './schemas/vm.js';
import { VmUpdate } from './schemas/self-healing.js';

/** One route of the API. */
export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under /api/v1, OpenAPI style (`/vms/{id}`). */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: TSchema;
  readonly query?: TSchema;
  readonly body?: TSchema;
  /** Success responses by status; `text` marks a text/plain body; `sse` an event stream. */
  readonly responses: Readonly<Record<number, TSchema | 'text' | 'sse'>>;
  /** Also served as a WebSocket upgrade on the same path. */
  readonly websocket?: boolean;
}

const opResponses = { 200: Operation, 202: Operation } as const;
const vmAction = <B extends TSchema = typeof EmptyBody>(action: string, summary: string, body?: B) =>
  ({
    method: 'POST',
    path: `/vms/{id}/actions/${action}`,
    summary,
    tag: 'vms',
    params: IdOrName,
    query: WaitQuery,
    body: (body ?? EmptyBody) as B,
    responses: opResponses,
  }) as const satisfies RouteDef;

/** Every route of the API, by operation id. */
export const routes = {
  getHealth: {
    method: 'GET',
    path: '/health',
    summary: 'Liveness check',
    tag: 'meta',
    responses: { 200: Type.Object({ ok: Type.Boolean(), version: Type.String() }) },
  },
  listHosts: { method: 'GET', path: '/hosts', summary: 'List hosts', tag: 'hosts', responses: { 200: Type.Array(Host) } },
  getHost: {
    method: 'GET',
    path: '/hosts/{id}',
    summary: 'Show a host (`local` is this host)',
    tag: 'hosts',
    params: IdOrName,
    responses: { 200: Host },
  },
  listVms: { method: 'GET', path: '/vms', summary: 'List VMs', tag: 'vms', responses: { 200: Type.Array(Vm) } },
  createVm: {
    method: 'POST',
    path: '/vms',
    summary: 'Create a VM (and start it with `start: true`)',
    tag: 'vms',
    query: WaitQuery,
    body: VmCreate,
    responses: opResponses,
  },
  getVm: { method: 'GET', path: '/vms/{id}', summary: 'Show a VM', tag: 'vms', params: IdOrName, responses: { 200: Vm } },
  updateVm: {
    method: 'PATCH',
    path: '/vms/{id}',
    summary: 'Change restart policy, health check or watchdog (the watchdog applies at the next start)',
    tag: 'vms',
    params: IdOrName,
    body: VmUpdate,
    responses: { 200: Vm },
  },
  deleteVm: {
    method: 'DELETE',
    path: '/vms/{id}',
    summary: 'Delete a VM: stop it, remove its disk and runtime files',
    tag: 'vms',
    params: IdOrName,
    query: WaitQuery,
    responses: opResponses,
  },
  startVm: vmAction('start', 'Start a VM'),
  stopVm: vmAction('stop', 'Stop a VM: ACPI shutdown, forced after a timeout (or at once with force)', VmStopBody),
  restartVm: vmAction('restart', 'Restart a VM: stop (as for stop), then start', VmStopBody),
  pauseVm: vmAction('pause', 'Pause a running VM'),
  resumeVm: vmAction('resume', 'Resume a paused VM'),
  getVmConsole: {
    method: 'GET',
    path: '/vms/{id}/console',
    summary:
      'The serial console: the log as text, or (WebSocket upgrade) a live stream both ways, starting with recent output',
    tag: 'vms',
    params: IdOrName,
    query: ConsoleQuery,
    responses: { 200: 'text' },
    websocket: true,
  },
  listImages: { method: 'GET', path: '/images', summary: 'List images', tag: 'images', responses: { 200: Type.Array(Image) } },
  getImage: { method: 'GET', path: '/images/{id}', summary: 'Show an image', tag: 'images', params: IdOrName, responses: { 200: Image } },
  buildImage: {
    method: 'POST',
    path: '/images/build',
    summary: 'Build an image from a recipe (`tiny`: a guest made from the host kernel and busybox)',
    tag: 'images',
    query: WaitQuery,
    body: ImageBuild,
    responses: opResponses,
  },
  importImage: {
    method: 'POST',
    path: '/images/import',
    summary: 'Import a qcow2, raw or ISO image from a path on the daemon host or an http(s) URL, optionally checking its sha256',
    tag: 'images',
    query: WaitQuery,
    body: ImageImport,
    responses: opResponses,
  },
  deleteImage: {
    method: 'DELETE',
    path: '/images/{id}',
    summary: 'Delete an image no VM uses',
    tag: 'images',
    params: IdOrName,
    responses: { 200: Image },
  },
  createImageFromVm: {
    method: 'POST',
    path: '/images/from-vm',
    summary: "Make an image (a template) from a stopped VM's root disk, flattened",
    tag: 'images',
    query: WaitQuery,
    body: ImageFromVm,
    responses: opResponses,
  },
  // Storage: pools, volumes, snapshots, clones, backups.
  listPools: { method: 'GET', path: '/pools', summary: 'List storage pools with their space', tag: 'storage', responses: { 200: Type.Array(Pool) } },
  getPool: { method: 'GET', path: '/pools/{id}', summary: 'Show a pool', tag: 'storage', params: IdOrName, responses: { 200: Pool } },
  createPool: { method: 'POST', path: '/pools', summary: 'Create a pool (dir or lvm-thin)', tag: 'storage', body: PoolCreate, responses: { 201: Pool } },
  deletePool: {
    method: 'DELETE',
    path: '/pools/{id}',
    summary: 'Delete an empty pool (the storage itself is left as it is)',
    tag: 'storage',
    params: IdOrName,
    responses: { 200: Pool },
  },
  listVolumes: {
    method: 'GET',
    path: '/volumes',
    summary: 'List volumes',
    tag: 'storage',
    query: VolumeListQuery,
    responses: { 200: Type.Array(Volume) },
  },
  getVolume: { method: 'GET', path: '/volumes/{id}', summary: 'Show a volume', tag: 'storage', params: IdOrName, responses: { 200: Volume } },
  createVolume: {
    method: 'POST',
    path: '/volumes',
    summary: 'Create an empty volume (space is checked first)',
    tag: 'storage',
    body: VolumeCreate,
    responses: { 201: Volume },
  },
  deleteVolume: {
    method: 'DELETE',
    path: '/volumes/{id}',
    summary: 'Delete a volume no VM uses',
    tag: 'storage',
    params: IdOrName,
    responses: { 200: Volume },
  },
  resizeVolume: {
    method: 'POST',
    path: '/volumes/{id}/actions/resize',
    summary: 'Grow a volume (live when its VM runs); volumes never shrink',
    tag: 'storage',
    params: IdOrName,
    body: VolumeResize,
    responses: { 200: Volume },
  },
  attachVolume: {
    method: 'POST',
    path: '/volumes/{id}/actions/attach',
    summary: 'Attach a volume to a VM (hot-plugged when it runs); kept across restarts',
    tag: 'storage',
    params: IdOrName,
    query: WaitQuery,
    body: VolumeAttach,
    responses: opResponses,
  },
  detachVolume: {
    method: 'POST',
    path: '/volumes/{id}/actions/detach',
    summary: 'Detach a data volume from its VM (hot-unplugged when it runs)',
    tag: 'storage',
    params: IdOrName,
    query: WaitQuery,
    body: EmptyBody,
    responses: opResponses,
  },
  listSnapshots: {
    method: 'GET',
    path: '/vms/{id}/snapshots',
    summary: "A VM's snapshots, oldest first, with their tree (parent) and the current one",
    tag: 'snapshots',
    params: IdOrName,
    responses: { 200: Type.Array(Snapshot) },
  },
  createSnapshot: {
    method: 'POST',
    path: '/vms/{id}/snapshots',
    summary: 'Snapshot all disks of a VM at one instant (and its memory with withMemory)',
    tag: 'snapshots',
    params: IdOrName,
    query: WaitQuery,
    body: SnapshotCreate,
    responses: opResponses,
  },
  revertSnapshot: {
    method: 'POST',
    path: '/vms/{id}/snapshots/{snapshot}/actions/revert',
    summary: 'Revert a VM to a snapshot: a running VM is stopped and reverted; with saved memory it resumes where it was, otherwise it stays stopped',
    tag: 'snapshots',
    params: SnapshotRef,
    query: WaitQuery,
    body: EmptyBody,
    responses: opResponses,
  },
  deleteSnapshot: {
    method: 'DELETE',
    path: '/vms/{id}/snapshots/{snapshot}',
    summary: 'Delete a snapshot (its children keep their own state)',
    tag: 'snapshots',
    params: SnapshotRef,
    query: WaitQuery,
    responses: opResponses,
  },
  cloneVm: {
    method: 'POST',
    path: '/vms/{id}/actions/clone',
    summary: 'Clone a VM: linked (copy-on-write) or full; the clone gets a new uuid',
    tag: 'vms',
    params: IdOrName,
    query: WaitQuery,
    body: VmClone,
    responses: opResponses,
  },
  createBackup: {
    method: 'POST',
    path: '/vms/{id}/backups',
    summary: 'Back a VM up (running or stopped) into a self-contained archive of its disks and spec',
    tag: 'backups',
    params: IdOrName,
    query: WaitQuery,
    body: BackupCreate,
    responses: opResponses,
  },
  listBackups: {
    method: 'GET',
    path: '/backups',
    summary: 'List backups, newest first',
    tag: 'backups',
    query: BackupListQuery,
    responses: { 200: Type.Array(Backup) },
  },
  deleteBackup: {
    method: 'DELETE',
    path: '/backups/{id}',
    summary: 'Delete a backup archive (refused while incremental backups build on it)',
    tag: 'backups',
    params: IdOrName,
    responses: { 200: Backup },
  },
  restoreBackup: {
    method: 'POST',
    path: '/backups/restore',
    summary: 'Restore a backup archive as a new VM',
    tag: 'backups',
    query: WaitQuery,
    body: BackupRestore,
    responses: opResponses,
  },
  listOperations: {
    method: 'GET',
    path: '/operations',
    summary: 'List operations, newest first',
    tag: 'operations',
    query: OperationListQuery,
    responses: { 200: Type.Array(Operation) },
  },
  getOperation: {
    method: 'GET',
    path: '/operations/{id}',
    summary: 'Show an operation (with ?wait=true, once it has finished)',
    tag: 'operations',
    params: IdOrName,
    query: WaitQuery,
    responses: { 200: Operation },
  },
  listEvents: {
    method: 'GET',
    path: '/events',
    summary: 'Events: a JSON array, or server-sent events when the client accepts text/event-stream',
    tag: 'events',
    query: EventQuery,
    responses: { 200: Type.Array(Event) },
  },
  // Alerts, anomalies, forecasts and webhooks.
  createAlertRule: {
    method: 'POST',
    path: '/alert-rules',
    summary: 'Create an alert rule: fire when a metric stays above or below a threshold for a duration',
    tag: 'alerts',
    body: AlertRuleCreate,
    responses: { 201: AlertRule },
  },
  listAlertRules: { method: 'GET', path: '/alert-rules', summary: 'List alert rules', tag: 'alerts', responses: { 200: Type.Array(AlertRule) } },
  deleteAlertRule: {
    method: 'DELETE',
    path: '/alert-rules/{id}',
    summary: 'Delete an alert rule (its firing alerts resolve)',
    tag: 'alerts',
    params: IdOrName,
    responses: { 200: AlertRule },
  },
  listAlerts: {
    method: 'GET',
    path: '/alerts',
    summary: 'Alerts: pending, firing and recently resolved',
    tag: 'alerts',
    query: AlertListQuery,
    responses: { 200: Type.Array(Alert) },
  },
  listAnomalies: {
    method: 'GET',
    path: '/anomalies',
    summary: 'Recent anomalies: series departing from their learned normal, newest first',
    tag: 'alerts',
    query: AnomalyListQuery,
    responses: { 200: Type.Array(Anomaly) },
  },
  listForecasts: {
    method: 'GET',
    path: '/forecasts',
    summary: 'Time-to-exhaustion forecasts for pools and host memory',
    tag: 'alerts',
    responses: { 200: Type.Array(Forecast) },
  },
  createWebhook: {
    method: 'POST',
    path: '/webhooks',
    summary: 'Register a webhook: events are POSTed to its URL, retried with backoff until delivered',
    tag: 'webhooks',
    body: WebhookCreate,
    responses: { 201: Webhook },
  },
  listWebhooks: { method: 'GET', path: '/webhooks', summary: 'List webhooks', tag: 'webhooks', responses: { 200: Type.Array(Webhook) } },
  deleteWebhook: {
    method: 'DELETE',
    path: '/webhooks/{id}',
    summary: 'Delete a webhook and its pending deliveries',
    tag: 'webhooks',
    params: IdOrName,
    responses: { 200: Webhook },
  },
  listWebhookDeliveries: {
    method: 'GET',
    path: '/webhooks/{id}/deliveries',
    summary: "A webhook's deliveries, newest first, with their status",
    tag: 'webhooks',
    params: IdOrName,
    query: DeliveryListQuery,
    responses: { 200: Type.Array(WebhookDelivery) },
  },
  // Metrics: time series, the series that exist, and the latest values.
  queryMetrics: {
    method: 'GET',
    path: '/metrics',
    summary: 'One time series over a range (raw points, or averaged per step); Prometheus exposition is at /metrics outside /api/v1',
    tag: 'metrics',
    query: MetricsQuery,
    responses: { 200: MetricSeries },
  },
  listMetricSeries: {
    method: 'GET',
    path: '/metrics/series',
    summary: 'The series that have points (metric and target)',
    tag: 'metrics',
    responses: { 200: Type.Array(MetricSeriesInfo) },
  },
  getMetricsLatest: {
    method: 'GET',
    path: '/metrics/latest',
    summary: 'The latest sampled values of the host and every VM (what `herd top` shows)',
    tag: 'metrics',
    responses: { 200: MetricsLatest },
  },
} as const satisfies Record<string, RouteDef>;

/** Operation id of a route. */
export type RouteId = keyof typeof routes;

/** Base path of the API. */
export const apiBase = '/api/v1';
