/**
 * `herd serve`: the daemon. Opens the database, probes the host, repairs what a crash left,
 * reattaches to running VMs, starts the reconciler and serves the API. Stopping the daemon
 * never stops VMs: they keep running and the next start reattaches to them.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { hostNameProblem } from '@herd/api';
import { startAlerting } from './alerts/alerting.js';
import { joinCluster, type Cluster } from './cluster/cluster.js';
import { startClusterRuntime, vmWakeChannel } from './cluster/cluster-runtime.js';
import { HostRepo } from './cluster/host-repo.js';
import { localFactsReader } from './cluster/local-facts.js';
import { ConsoleHubs } from './console/console-hub.js';
import { ConsoleTickets } from './console/console-tickets.js';
import { VncConsoles } from './console/vnc-consoles.js';
import { EventLog } from './events/event-log.js';
import { HealthMonitor } from './health/health-monitor.js';
import { detectAccel } from './host/accel.js';
import { readHostFacts } from './host/host-info.js';
import { HostService } from './host/host-service.js';
import { MetricsService } from './metrics/metrics-service.js';
import { Sampler } from './metrics/sampler.js';
import { SqliteMetricsStore } from './metrics/sqlite-metrics-store.js';
import { vmSamplerSource } from './metrics/vm-sampler-source.js';
import { AuditLog } from './audit/audit-log.js';
import { buildServer } from './http/build-server.js';
import { ImageRepo } from './images/image-repo.js';
import { ImageService } from './images/image-service.js';
import { OperationStore } from './operations/operation-store.js';
import { VmOpTracker } from './operations/vm-op-tracker.js';
import { DataPaths } from './paths.js';
import { QEMU_BINARY } from './qemu/build-argv.js';
import { VmReconciler } from './reconcile/vm-reconciler.js';
import { prepareDataDir } from './confine/prepare-data-dir.js';
import { RunUids } from './confine/run-uids.js';
import { WorkQueue } from './reconcile/work-queue.js';
import { sweepOrphans } from './repair/sweep-orphans.js';
import { startListeners } from './serving/listeners.js';
import { openNotifier } from './store/notifier.js';
import { isPostgresUrl, openDatabase } from './store/open-database.js';
import type { HostAccel } from './vm/resolve-accel.js';
import { VmRepo } from './vm/vm-repo.js';
import { VmService } from './vm/vm-service.js';
import { VmView } from './vm/vm-view.js';
import { BackupRepo } from './backups/backup-repo.js';
import { BackupService } from './backups/backup-service.js';
import { CloneService } from './clones/clone-service.js';
import { PlacementService } from './cluster/placement-service.js';
import type { RebalanceSettings } from './cluster/rebalancer.js';
import { failInterrupted } from './operations/run-operation.js';
import { SnapshotRepo } from './snapshots/snapshot-repo.js';
import { SnapshotService } from './snapshots/snapshot-service.js';
import type { LiveVms } from './volumes/live-vms.js';
import { PoolRepo } from './pools/pool-repo.js';
import { PoolService } from './pools/pool-service.js';
import { VolumeRepo } from './volumes/volume-repo.js';
import { VolumeService } from './volumes/volume-service.js';
import { hostExec } from './net/net-exec.js';
import { Firewall } from './networks/firewall.js';
import { hostRoutes, networkingUnavailable } from './networks/host-networking.js';
import { NetworkReconciler } from './networks/network-reconciler.js';
import { NetworkRepo } from './networks/network-repo.js';
import { NetworkService } from './networks/network-service.js';
import { NicRepo } from './networks/nic-repo.js';
import { NicService } from './networks/nic-service.js';
import { SecurityGroupRepo } from './networks/security-group-repo.js';
import { SecurityGroupService } from './networks/security-group-service.js';
import { Taps } from './networks/taps.js';
import { HostUnderlay } from './networks/underlay.js';
import { OVERLAY_REFRESH_MS, startOverlayRefresh } from './networks/overlay-refresh.js';
import { herdVersion } from './version.js';
import { peerCredentials } from './host/peer-credentials.js';
import { Authenticator } from './tenancy/authenticator.js';
import { Authorizer } from './tenancy/authorizer.js';
import { ProjectRepo } from './tenancy/project-repo.js';
import { TenancyService } from './tenancy/tenancy-service.js';
import { UserRepo } from './tenancy/user-repo.js';
import type { Socket } from 'node:net';

/** Options of `herd serve`. */
export interface ServeOptions {
  readonly dataDir: string;
  /**
   * host:port to listen on (port 0 picks a free one), or unix:PATH for a unix socket. TCP
   * beyond loopback is served with TLS only (see serving/listeners.ts).
   */
  readonly listen: string;
  /** The local API socket, served besides `listen` (default DATA/herd.sock; `--socket`, HERD_SOCKET). */
  readonly socket?: string;
  /** A PEM certificate (and chain) and key for HTTPS instead of herd's own CA (`--tls-cert`, `--tls-key`). */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly accel?: 'auto' | 'kvm' | 'tcg';
  readonly logLevel?: string;
  /** Build this demo image (a recipe name, e.g. `tiny`) in the background if no image of that name exists. */
  readonly demoImage?: 'tiny';
  /** A logger to use instead of JSON lines on stdout. */
  readonly logger?: Logger;
  /** Create the NAT network `default` when running as root (default true; `--no-default-network`). */
  readonly defaultNetwork?: boolean;
  /** Seconds between metric samples (default 10; `--metrics-interval`, HERD_METRICS_INTERVAL). */
  readonly metricsIntervalSeconds?: number;
  /**
   * The database: a `postgres://` or `postgresql://` URL of the database a cluster's hosts share
   * (`--db`), or a SQLite file. Default: DATA/herd.db, this host's own.
   */
  readonly db?: string;
  /** This host's name in the cluster (`--host-name`, HERD_HOST_NAME; default: the machine's hostname). */
  readonly hostName?: string;
  /** The http(s) URL other hosts reach this host's API on (`--advertise`, HERD_ADVERTISE); none on a single host. */
  readonly advertise?: string;
  /** Milliseconds between heartbeats (default 2000); tests shrink it. */
  readonly heartbeatMs?: number;
  /** How long a heartbeat keeps this host alive (default 10 000 ms); tests shrink it. */
  readonly hostLeaseMs?: number;
  /** How long before its lease's end a host that cannot renew fences itself (default 2000 ms). */
  readonly fenceMarginMs?: number;
  /** How long a leader lease renewal lasts (default 6000 ms); tests shrink it. */
  readonly leaderLeaseMs?: number;
  /** How long after a host's lease ran out the leader fences it and restarts its HA VMs elsewhere (default 2000 ms). */
  readonly haGraceMs?: number;
  /** How long a console ticket opens a console (default 30 000 ms); tests shrink it. */
  readonly consoleTicketMs?: number;
  /** How the leader rebalances (`--rebalance`, `--rebalance-threshold`, `--rebalance-budget`). */
  readonly rebalance?: Partial<RebalanceSettings>;
}

/** A running daemon. */
export interface Daemon {
  /** The API's base URL on `--listen`, e.g. http://127.0.0.1:8080, https://0.0.0.0:8443 or unix:/path. */
  readonly url: string;
  /** The local API socket, always served. */
  readonly socketPath: string;
  /** The file holding the first cluster admin's token, when it is still there. */
  readonly adminTokenFile: string | undefined;
  /** This host's membership of the cluster: its name, leadership, fencing. */
  readonly cluster: Cluster;
  /** Stops serving and detaches from VMs, which keep running. */
  close(): Promise<void>;
}

/** Starts the daemon and resolves once it serves requests. */
export async function startDaemon(options: ServeOptions): Promise<Daemon> {
  const log = options.logger ?? pino({ level: options.logLevel ?? 'info', base: { pid: process.pid } });
  const paths = new DataPaths(options.dataDir);
  paths.checkSocketPathLength();
  for (const dir of [paths.root, paths.defaultPool, paths.runRoot, paths.logRoot, paths.tmp]) await mkdir(dir, { recursive: true, mode: 0o750 });
  // As root, each VM's QEMU runs as a user of its own, which must pass through to its files.
  await prepareDataDir(paths);

  const db = await openDatabase(options.db ?? paths.database);
  // In a cluster, other hosts' events reach this host's subscribers through the notifier.
  const notifier = await openNotifier(db);
  const events = new EventLog(db, notifier);
  await events.start();
  const audit = new AuditLog(db, paths.auditHead, log);
  const ops = new OperationStore(db, events);
  const vms = new VmRepo(db, events);
  const images = new ImageRepo(db, events);
  const consoles = new ConsoleHubs((id) => paths.consoleLog(id));
  const poolRows = new PoolRepo(db, events);
  const volumeRows = new VolumeRepo(db, events);
  const snapshotRows = new SnapshotRepo(db, events);
  const pools = new PoolService({ pools: poolRows, volumes: volumeRows, paths });
  await pools.ensureDefault();
  const networkRows = new NetworkRepo(db, events);
  const nicRows = new NicRepo(db);
  const groupRows = new SecurityGroupRepo(db, events);
  const netUnavailable = await networkingUnavailable();

  const preference = options.accel ?? 'auto';
  const probe = await detectAccel();
  if (preference === 'kvm' && probe.accel !== 'kvm') throw new Error(`--accel kvm was asked for, but KVM is not usable here: ${probe.reason}`);
  const accel: HostAccel = {
    accel: preference === 'tcg' ? 'tcg' : probe.accel,
    kvmUsable: probe.accel === 'kvm',
    reason: preference === 'tcg' ? `TCG chosen with --accel tcg (${probe.reason})` : probe.reason,
  };
  const facts = await readHostFacts(QEMU_BINARY);
  log.info({ accel: accel.accel, reason: accel.reason, qemu: facts.qemuVersion, dataDir: paths.root }, 'host probed');
  const hostName = options.hostName ?? facts.name;
  const nameProblem = hostNameProblem(hostName);
  if (nameProblem) throw new Error(`${nameProblem}; name this host with --host-name`);
  const advertise = options.advertise === undefined ? null : advertisedUrl(options.advertise);

  // The reconciler wakes the queue and the queue runs the reconciler: tie the knot lazily. In a
  // cluster the VM may be another host's (made here, placed there): every host hears of it.
  const clustered = advertise !== null || (options.db !== undefined && isPostgresUrl(options.db));
  const wake = (id: string) => {
    queue.add(id);
    if (clustered) void notifier.notify(vmWakeChannel, id).catch((e: unknown) => log.warn({ vmId: id, err: String(e) }, 'cannot tell other hosts about a VM change; they see it at their next resync'));
  };
  // Storage work on a VM runs under its reconcile lock, with its QEMU's QMP when it runs here.
  const live: LiveVms = { exclusive: (id, fn) => queue.exclusive(id, () => fn(reconciler.instance(id)?.qmp)) };
  const volumes = new VolumeService({ volumes: volumeRows, pools, vms, images, ops, paths, live, log });
  // Networks: their own reconciler and queue; NICs follow VMs.
  const underlay = new HostUnderlay(db, hostName, advertise ?? undefined, log);
  const netReconciler = new NetworkReconciler({
    networks: networkRows,
    nics: nicRows,
    vms,
    exec: hostExec,
    dirOf: (id) => paths.networkDir(id),
    networksRoot: join(paths.root, 'networks'),
    peers: () => underlay.peers(),
    localUnderlay: () => underlay.localUnderlay(),
    log,
  });
  const netQueue = new WorkQueue((id) => netReconciler.reconcile(id), {
    onError: (id, e, attempt) => log.warn({ networkId: id, attempt, err: e instanceof Error ? e.message : String(e) }, 'network reconcile failed; will retry'),
  });
  const reconcileNetwork = async (id: string) => void (await netQueue.exclusive(id, () => netReconciler.reconcile(id)));
  const firewall = new Firewall(hostExec, nicRows, groupRows, networkRows, log);
  const nics = new NicService({ nics: nicRows, networks: networkRows, groups: groupRows, vms, ops, live, taps: new Taps(hostExec), firewall, syncNetwork: reconcileNetwork, unavailable: netUnavailable, log });
  const networks = new NetworkService({ networks: networkRows, nics: nicRows, vms, unavailable: netUnavailable, reconcileNow: reconcileNetwork });
  const securityGroups = new SecurityGroupService(groupRows, nicRows, firewall);
  const reconcilerDeps = { vms, images, volumes, snapshots: snapshotRows, nics, paths, consoles, accel, log, wake, runUids: new RunUids(db), hostName } as ConstructorParameters<typeof VmReconciler>[0];
  const reconciler = new VmReconciler(reconcilerDeps);
  const health = new HealthMonitor({ vms, consoles, log, failStop: (id, reason) => reconciler.failStop(id, reason) });
  reconcilerDeps.health = health;
  const queue: WorkQueue = new WorkQueue((id) => reconciler.reconcile(id), {
    onError: (id, e, attempt) => log.warn({ vmId: id, attempt, err: e instanceof Error ? e.message : String(e) }, 'reconcile failed; will retry'),
  });

  const view = new VmView(images, volumeRows, poolRows, { nics: nicRows, networks: networkRows, groups: groupRows });
  const tracker = new VmOpTracker(ops, vms, (row) => view.one(row), log);
  const placement = new PlacementService(db);
  const vmService = new VmService({ vms, images, ops, tracker, paths, pools, volumes, volumeRows, view, nics, hasDefaultNetwork: async () => !netUnavailable && (await networkRows.find('default').catch(() => undefined)) !== undefined, accel, placement, hostName, wake });
  const snapshots = new SnapshotService({ snapshots: snapshotRows, vms, volumes: volumeRows, ops, paths, live, wake, log });
  const clones = new CloneService({ vms, images, volumes: volumeRows, volumeService: volumes, pools, snapshots: snapshotRows, ops, paths, live, wake, log, nics, nicRows, placement });
  const backups = new BackupService({ backups: new BackupRepo(db, events), vms, images, volumes: volumeRows, volumeService: volumes, pools, ops, paths, live, wake, log, nics, nicRows, networks: networkRows, placement, hostName });
  const imageService = new ImageService({ images, vms, ops, paths, log });
  const hostRepo = new HostRepo(db, events);
  const hosts = new HostService(hostRepo, hostName);

  // Metrics: the time-series store, the sampler (started once serving, stopped in close()),
  // and the service behind /api/v1/metrics and /metrics.
  const metricsStore = new SqliteMetricsStore(db);
  metricsStore.startSweeping(undefined, (e) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'metrics retention sweep failed'));
  const sampler = new Sampler(vmSamplerSource(vms, reconciler), metricsStore, {
    intervalMs: (options.metricsIntervalSeconds ?? 10) * 1000,
    pools: [{ name: 'default', path: paths.defaultPool }],
    log,
  });
  const metrics = new MetricsService({ store: metricsStore, sampler, vms, host: { name: facts.name, cpus: facts.cpus } });

  // Alerts, anomalies, forecasts and webhooks follow metricsStore.onWrite, so they start
  // before the sampler; they close before the database.
  const alerting = await startAlerting({ db, events, store: metricsStore, vms, log, version: herdVersion, sampleIntervalMs: (options.metricsIntervalSeconds ?? 10) * 1000 });

  // Cluster membership: register this host (a single host too), heartbeat, and bid to lead.
  const readFacts = localFactsReader({ cpus: facts.cpus, memoryBytes: facts.memoryBytes, pools, networks: networkRows, networkingUnavailable: netUnavailable, hostCpuPercent: () => sampler.latest().host?.cpuPercent });
  const registration = { name: hostName, address: advertise, accel: accel.accel, accelPreference: preference, accelReason: accel.reason, kvmUsable: accel.kvmUsable, dataDir: paths.root, herdVersion, qemuVersion: facts.qemuVersion, kernel: facts.kernel, ...(await readFacts()) };
  const membership = await joinCluster(db, hostRepo, registration, readFacts, options, log);
  const cluster = membership.cluster;
  log.info({ host: hostName, address: advertise, leaseMs: cluster.heartbeat.leaseMs }, 'host registered');

  // Repair before serving: leftovers of deleted VMs go, interrupted image jobs fail cleanly,
  // VM operations are tracked again, and every VM gets a pass (which reattaches running ones).
  const all = await vms.list();
  await sweepOrphans(paths, new Set(all.map((v) => v.id)), log);
  await volumes.repair(all);
  let overlayRefresh: { stop(): void } | undefined;
  if (netUnavailable) log.info({ reason: netUnavailable }, 'herd networks unavailable: VMs use QEMU user-mode networking');
  else {
    // dnsmasq drops to user nobody and reads its hosts files below the data directory: let it
    // pass through (x only, no listing) to the networks directory.
    await chmod(paths.root, ((await stat(paths.root)).mode & 0o777) | 0o011);
    await mkdir(join(paths.root, 'networks'), { recursive: true, mode: 0o755 });
    await netReconciler.sweepOrphans();
    for (const n of await networkRows.list()) await reconcileNetwork(n.id);
    // vxlan networks follow the cluster's hosts, and networks made or deleted through other hosts.
    overlayRefresh = startOverlayRefresh({ networks: networkRows, wake: (id) => netQueue.add(id), sweep: () => netReconciler.sweepOverlays(), intervalMs: OVERLAY_REFRESH_MS, log });
    await firewall.apply();
    if (options.defaultNetwork !== false) await networks.ensureDefault(await hostRoutes());
  }
  await imageService.recoverInterrupted();
  await failInterrupted(ops, ['volume.attach', 'volume.detach', 'snapshot.create', 'snapshot.revert', 'snapshot.delete', 'vm.clone', 'backup.create', 'backup.restore', 'image.from-vm', 'vm.migrate', 'host.evacuate']);
  // A migration out of here that a crash cut short did not switch the VM over: it stays here
  // (a source QEMU paused by it is resumed by its reconcile pass; the destination drops its copy
  // when it next reconciles). A drain cut short leaves the host taking VMs again.
  const unfinished = await db.updateTable('vms').set({ migrating_to: null }).where('host', '=', hostName).where('migrating_to', 'is not', null).executeTakeFirst();
  if (Number(unfinished.numUpdatedRows) > 0) log.warn({ vms: Number(unfinished.numUpdatedRows) }, 'live migrations interrupted by a restart: their VMs stay on this host');
  if ((await hostRepo.get(hostName)).mode === 'draining') {
    await hostRepo.setMode(hostName, 'active');
    log.warn({ host: hostName }, 'a drain was interrupted by a restart; run herd host maintenance again');
  }
  await tracker.resume();
  for (const v of all) queue.add(v.id);
  await queue.idle();

  const vnc = new VncConsoles({ vms, paths, tickets: new ConsoleTickets(options.consoleTicketMs === undefined ? {} : { ttlMs: options.consoleTicketMs }), log });
  // Tenancy: a new installation gets a cluster admin whose first token is handed over once, in
  // a file only root can read (root on the local socket needs none).
  const projects = new ProjectRepo(db);
  const users = new UserRepo(db);
  const tenancy = new TenancyService(projects, users);
  const firstToken = await tenancy.bootstrapAdmin();
  if (firstToken) {
    await writeFile(paths.adminToken, `${firstToken}\n`, { mode: 0o600 });
    log.info({ user: 'admin', tokenFile: paths.adminToken }, "made cluster admin 'admin'; its token is in the token file");
  }
  // Forwarding, live migration, drains, HA and rebalancing; it prepares the cluster CA, so it
  // starts before the listeners (which issue this host's certificate from it).
  const clusterRuntime = await startClusterRuntime({ db, notifier, hostName, advertise, clustered, paths, cluster, hostRepo, vms, volumeRows, volumes, nics, ops, tracker, events, reconciler, queue, wake, rebalance: options.rebalance, haGraceMs: options.haGraceMs, log });
  const { forwarder, signer, migrations, migrationTarget, drain, rebalancer } = clusterRuntime;
  const auth = { authenticator: new Authenticator(users, process.getuid?.() ?? 0, signer), authorizer: new Authorizer(projects), peerUid: (socket: Socket) => peerCredentials(socket)?.uid };
  const app = await buildServer(
    { version: herdVersion, vms: vmService, images: imageService, ops, events, hosts, consoles, vnc, metrics, pools, volumes, snapshots, clones, backups, networks, nics, securityGroups, tenancy, auth, audit, forwarder, cluster: { hostName, migrations, migrationTarget, drain, rebalancer }, ...alerting.services },
    log,
  );
  // The app's own server never listens: the listeners hand it their requests.
  await app.ready();
  const listeners = await startListeners(app.server, {
    listen: options.listen,
    socketPath: options.socket ?? paths.apiSocket,
    ...(options.tlsCert !== undefined && { tlsCert: options.tlsCert }),
    ...(options.tlsKey !== undefined && { tlsKey: options.tlsKey }),
    tlsDir: paths.tls,
    ...(advertise !== null && { advertiseHost: new URL(advertise).hostname }),
    log,
  });
  const url = listeners.url;
  log.info({ url, socket: listeners.socketPath, ...(listeners.tlsFingerprint && { tlsFingerprint: listeners.tlsFingerprint }), vms: all.length }, 'herd is serving');
  sampler.start();
  if (options.demoImage && !(await images.findOptional(options.demoImage))) {
    const op = await imageService.build({ recipe: options.demoImage });
    log.info({ image: options.demoImage, operation: op.id }, 'building the demo image');
  }

  let closed = false;
  return {
    url,
    socketPath: listeners.socketPath,
    cluster,
    adminTokenFile: existsSync(paths.adminToken) ? paths.adminToken : undefined,
    close: async () => {
      if (closed) return;
      closed = true;
      queue.stop();
      clusterRuntime.stop();
      overlayRefresh?.stop();
      netQueue.stop();
      await membership.leave();
      await sampler.stop();
      metricsStore.close();
      await app.close();
      clusterRuntime.close();
      await listeners.close();
      await alerting.close();
      health.closeAll();
      reconciler.detachAll();
      consoles.closeAll();
      events.close();
      await notifier.close();
      await db.destroy();
    },
  };
}

/** `--advertise`: an http(s) URL without a trailing slash; throws a message naming the option. */
function advertisedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--advertise must be the http(s) URL other hosts reach this host's API on, e.g. https://10.0.0.5:8443, not '${text}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--advertise must be an http(s) URL, not '${text}'`);
  return url.href.replace(/\/+$/, '');
}

/** Runs the daemon until SIGINT/SIGTERM. */
export async function serve(options: ServeOptions): Promise<void> {
  const daemon = await startDaemon(options);
  // For the person at the terminal (the log lines are for machines): how to get in.
  const how = daemon.adminTokenFile ? `; sign in to the web UI with the token in ${daemon.adminTokenFile}` : '';
  process.stderr.write(`herd: serving ${daemon.url} and ${daemon.socketPath} (root there needs no token)${how}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void daemon.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
