/**
 * The cluster side of a running daemon, wired once at start: the forwarder that relays to a
 * VM's host what must run there, live migration (out of and into this host), host drains, and
 * the leader's HA loop and rebalancer, which run while this host leads. In a cluster (shared
 * PostgreSQL or `--advertise`), this host also hears other hosts' VM changes through the
 * notifier, resyncs its own VMs periodically as a safety net, and arms the fence guard that stops
 * its HA VMs if its lease is not renewed in time.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { EventLog } from '../events/event-log.js';
import type { NicService } from '../networks/nic-service.js';
import type { OperationStore } from '../operations/operation-store.js';
import type { VmOpTracker } from '../operations/vm-op-tracker.js';
import type { DataPaths } from '../paths.js';
import type { VmReconciler } from '../reconcile/vm-reconciler.js';
import type { WorkQueue } from '../reconcile/work-queue.js';
import type { Notifier } from '../store/notifier.js';
import type { Db } from '../store/open-database.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { ensureForwardKey } from './cluster-secrets.js';
import { prepareClusterTls } from './cluster-tls.js';
import type { Cluster } from './cluster.js';
import { FenceGuard } from './fence-guard.js';
import { ForwardSigner } from './forward-signature.js';
import { Forwarder } from './forwarder.js';
import { HaLoop } from './ha-loop.js';
import { HostDrain } from './host-drain.js';
import type { HostRepo } from './host-repo.js';
import { MigrationService } from './migration-service.js';
import { MigrationTarget } from './migration-target.js';
import { chooseHost } from './placement.js';
import { Rebalancer, defaultRebalanceSettings, type RebalanceSettings } from './rebalancer.js';

/** The notification channel on which hosts tell each other that a VM changed (payload: its id). */
export const vmWakeChannel = 'herd_vm';
/** The channel on which hosts say that a VM's record changed (payload: `HOST VMID`). */
const vmChangeChannel = 'herd_vm_changed';

/** What the cluster runtime needs: the daemon's stores, services and reconciler, built before it. */
export interface ClusterRuntimeDeps {
  readonly db: Db;
  readonly notifier: Notifier;
  readonly hostName: string;
  /** The URL other hosts reach this host's API on (`--advertise`), or null when none was given. */
  readonly advertise: string | null;
  /** True when hosts share the database (PostgreSQL) or this host advertises a URL. */
  readonly clustered: boolean;
  readonly paths: DataPaths;
  /** This host's membership, joined already. */
  readonly cluster: Cluster;
  readonly hostRepo: HostRepo;
  readonly vms: VmRepo;
  readonly volumeRows: VolumeRepo;
  readonly volumes: VolumeService;
  readonly nics: NicService;
  readonly ops: OperationStore;
  readonly tracker: VmOpTracker;
  readonly events: EventLog;
  readonly reconciler: VmReconciler;
  /** The VM reconcile queue: its locks for migrations, its wake-ups for what other hosts changed. */
  readonly queue: WorkQueue;
  /** Wakes a VM's reconcile here and on the other hosts. */
  readonly wake: (vmId: string) => void;
  /** How the leader rebalances, over the defaults (`--rebalance`, ...). */
  readonly rebalance?: Partial<RebalanceSettings>;
  /** How long after a host's lease ran out the leader fences it and restarts its HA VMs elsewhere (default 2000 ms). */
  readonly haGraceMs?: number;
  readonly log: Logger;
}

/** The running cluster parts the API serves, and how to stop them. */
export interface ClusterRuntime {
  readonly forwarder: Forwarder;
  /** Signs and checks forwarded requests (the authenticator trusts what another host signed). */
  readonly signer: ForwardSigner;
  readonly migrations: MigrationService;
  readonly migrationTarget: MigrationTarget;
  readonly drain: HostDrain;
  readonly rebalancer: Rebalancer;
  /** Stops the periodic resync, the HA loop and the rebalancer. Call at shutdown, before leaving the cluster. */
  stop(): void;
  /** Closes the forwarder's connections. Call at shutdown, once the API no longer serves. */
  close(): void;
}

/**
 * Builds and starts the cluster runtime. Call once at daemon start, after joining the cluster and
 * before the listeners start (they issue this host's certificate from the cluster CA prepared here).
 */
export async function startClusterRuntime(deps: ClusterRuntimeDeps): Promise<ClusterRuntime> {
  const { db, notifier, hostName, advertise, clustered, paths, cluster, hostRepo, vms, volumeRows, volumes, nics, ops, tracker, events, reconciler, queue, wake, log } = deps;
  // Any host serves the API and relays what must run on a VM's host there; the hosts share one
  // CA (before the listeners issue this host's certificate from it) and one forward key.
  const clusterCa = clustered ? await prepareClusterTls(db, paths.tls, log) : undefined;
  const signer = new ForwardSigner(await ensureForwardKey(db));
  const forwarder = new Forwarder({ db, hostName, signer, clustered, log, ...(clusterCa && { ca: clusterCa.cert }) });
  // Live migration, drains, HA and rebalancing.
  // Where hosts speak HTTPS, the migration streams are TLS too: a destination serves them with a
  // certificate from the cluster CA for its advertised name, which the source checks.
  const advertisedTls = advertise !== null && new URL(advertise).protocol === 'https:' ? { dir: paths.tls, serverName: new URL(advertise).hostname.replace(/^\[|\]$/g, '') } : undefined;
  const migrations = new MigrationService({ db, hostName, clustered, vms, volumeRows, ops, reconciler, exclusive: (id, fn) => queue.exclusive(id, fn), forwarder, nics, paths, ...(clusterCa && { tlsCa: clusterCa.cert }), note: (e) => events.append(e), log });
  const migrationTarget = new MigrationTarget({ hostName, listenAddress: advertise !== null ? await underlayAddress(advertise) : '127.0.0.1', vms, volumeRows, volumes, reconciler, paths, wake, ...(advertisedTls && { tls: advertisedTls }), log });
  const drain = new HostDrain({ db, hostName, clustered, hosts: hostRepo, ops, migrations, log });
  const rebalancer = new Rebalancer({ db, settings: { ...defaultRebalanceSettings, ...deps.rebalance }, leading: () => cluster.isLeader(), move: (vmId, to) => moveVm(vmId, to), log });
  const haLoop = new HaLoop({
    db,
    hostName,
    log,
    graceMs: deps.haGraceMs ?? 2000,
    intervalMs: Math.max(250, Math.min(1000, cluster.heartbeat.heartbeatMs)),
    leading: () => (cluster.isLeader() && cluster.term() !== undefined ? { term: cluster.term()! } : undefined),
    chooseHost: (trx, vm, exclude) => chooseHost(trx, vm, { exclude }),
    wake,
    note: (e) => events.append(e),
  });
  /** Moves a VM (of any host) to `to`: here, or by asking its host. */
  const moveVm = async (vmId: string, to: string): Promise<void> => {
    const row = await vms.get(vmId);
    if (!row) return;
    if (row.host === hostName) {
      await migrations.move(vmId, { to });
      return;
    }
    const r = await forwarder.call(row.host, 'POST', `/api/v1/vms/${vmId}/actions/migrate?wait=true`, { to });
    const op = r.body as { status?: string; message?: string; error?: { message?: string } };
    if (r.status !== 200 || op.status !== 'succeeded') throw new Error(`moving ${row.name} from ${row.host} to ${to} failed: ${op.error?.message ?? op.message ?? JSON.stringify(r.body)}`);
  };
  cluster.onElected(() => {
    haLoop.start();
    rebalancer.start();
  });
  cluster.onDeposed(() => {
    haLoop.stop();
    rebalancer.stop();
  });
  let resync: NodeJS.Timeout | undefined;
  let guard: FenceGuard | undefined;
  if (clustered) {
    // Other hosts' changes arrive as notifications; a periodic pass over this host's VMs is the safety net.
    notifier.listen(vmWakeChannel, (id) => queue.add(id));
    // Operations on a VM of another host (made here, run there) follow its changes from there.
    vms.onChange((id) => void notifier.notify(vmChangeChannel, `${hostName} ${id}`).catch(() => undefined));
    notifier.listen(vmChangeChannel, (payload) => {
      const [from, id] = payload.split(' ');
      if (from !== hostName && id) void tracker.recheck(id).catch(() => undefined);
    });
    resync = setInterval(() => void resyncOwnVms(), 10_000);
    // Self-fencing: the guard stops this host's HA VMs if the lease is not renewed in time, even
    // when this daemon is dead; while fenced the reconciler changes nothing.
    guard = new FenceGuard(paths, log);
    await guard.start(cluster.heartbeat.fenceDeadline ?? 0, await haVmsHere());
    cluster.onRenewed((_started, deadline) => void haVmsHere().then((ids) => guard!.extend(deadline, ids)).catch(() => undefined));
    cluster.onFence((reason) => {
      reconciler.setFenced(true);
      log.error({ host: hostName, reason }, 'fenced: this host could not renew its lease; its HA VMs are stopped and may restart elsewhere');
    });
    cluster.onRecovered(() => {
      reconciler.setFenced(false);
      log.warn({ host: hostName }, 'lease renewed again: reconciling what the cluster says is this host’s');
      void resyncOwnVms();
    });
  }
  async function haVmsHere(): Promise<string[]> {
    return (await db.selectFrom('vms').select('id').where('host', '=', hostName).where('ha', '=', 1).execute()).map((r) => r.id);
  }
  async function resyncOwnVms(): Promise<void> {
    try {
      for (const v of await db.selectFrom('vms').select('id').where((eb) => eb.or([eb('host', '=', hostName), eb('migrating_to', '=', hostName)])).execute()) queue.add(v.id);
    } catch (e) {
      log.warn({ err: String(e) }, 'resync of this host’s VMs failed; will retry');
    }
  }

  return {
    forwarder,
    signer,
    migrations,
    migrationTarget,
    drain,
    rebalancer,
    stop: () => {
      clearInterval(resync);
      haLoop.stop();
      rebalancer.stop();
    },
    close: () => forwarder.close(),
  };
}

/** The IP address of an advertised URL (a name is resolved): where this host's migration streams listen. */
async function underlayAddress(advertise: string): Promise<string> {
  const host = new URL(advertise).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}
