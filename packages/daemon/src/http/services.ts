/** What the HTTP layer may call: use cases and read models, never QEMU or the file system. */
import type { AlertService } from '../alerts/alert-service.js';
import type { AnomalyDetector } from '../anomaly/anomaly-detector.js';
import type { ConsoleHubs } from '../console/console-hub.js';
import type { VncConsoles } from '../console/vnc-consoles.js';
import type { EventLog } from '../events/event-log.js';
import type { ForecastEngine } from '../forecast/forecast-engine.js';
import type { HostService } from '../host/host-service.js';
import type { ImageService } from '../images/image-service.js';
import type { MetricsService } from '../metrics/metrics-service.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { VmService } from '../vm/vm-service.js';
import type { WebhookService } from '../webhooks/webhook-service.js';
import type { BackupService } from '../backups/backup-service.js';
import type { CloneService } from '../clones/clone-service.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import type { PoolService } from '../pools/pool-service.js';
import type { VolumeService } from '../volumes/volume-service.js';
import type { NetworkService } from '../networks/network-service.js';
import type { NicService } from '../networks/nic-service.js';
import type { SecurityGroupService } from '../networks/security-group-service.js';
import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../tenancy/authenticator.js';
import type { Authorizer } from '../tenancy/authorizer.js';
import type { TenancyService } from '../tenancy/tenancy-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Forwarder } from '../cluster/forwarder.js';
import type { HostDrain } from '../cluster/host-drain.js';
import type { MigrationService } from '../cluster/migration-service.js';
import type { MigrationTarget } from '../cluster/migration-target.js';
import type { Rebalancer } from '../cluster/rebalancer.js';

/** What this host does as a member of the cluster. */
export interface ClusterServices {
  readonly hostName: string;
  /** Live migrations out of this host. */
  readonly migrations: MigrationService;
  /** Live migrations into this host. */
  readonly migrationTarget: MigrationTarget;
  readonly drain: HostDrain;
  readonly rebalancer: Rebalancer;
}

/** The services behind the API. */
export interface Services {
  readonly version: string;
  readonly vms: VmService;
  readonly images: ImageService;
  readonly ops: OperationStore;
  readonly events: EventLog;
  readonly hosts: HostService;
  readonly cluster: ClusterServices;
  readonly consoles: ConsoleHubs;
  /** Graphical consoles: tickets, admission and the VNC relay. */
  readonly vnc: VncConsoles;
  /** Metrics: series queries, latest values, Prometheus text. */
  readonly metrics: MetricsService;
  /** Alert rules and alerts. */
  readonly alerts: AlertService;
  /** Recent anomalies. */
  readonly anomalies: AnomalyDetector;
  /** Time-to-exhaustion forecasts. */
  readonly forecasts: ForecastEngine;
  /** Webhooks and their deliveries. */
  readonly webhooks: WebhookService;
  readonly pools: PoolService;
  readonly volumes: VolumeService;
  readonly snapshots: SnapshotService;
  readonly clones: CloneService;
  readonly backups: BackupService;
  readonly networks: NetworkService;
  readonly nics: NicService;
  readonly securityGroups: SecurityGroupService;
  /** Projects, users and tokens. */
  readonly tenancy: TenancyService;
  /** The hash-chained audit log of state-changing requests. */
  readonly audit: AuditLog;
  /** Finds the host that runs a VM and relays requests there (cluster mode). */
  readonly forwarder: Forwarder;
  /** Who is calling and what they may do. */
  readonly auth: {
    readonly authenticator: Authenticator;
    readonly authorizer: Authorizer;
    /** The uid of the process at the other end of a unix socket; undefined for TCP. */
    readonly peerUid: (socket: FastifyRequest['raw']['socket']) => number | undefined;
  };
}
