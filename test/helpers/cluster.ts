/**
 * A real herd cluster on this one machine, for multi-host end-to-end tests: PostgreSQL in a hub
 * network namespace with a bridge, and N hosts (h1, h2, ...), each a network namespace on that
 * bridge running `herd serve --db ... --host-name hI --advertise https://ADDR:8443`.
 *
 * Every host sees the same paths, as real nodes do: the data directory (`cluster.dataDir`) is
 * bound, in each daemon's own mount namespace, to that host's real directory (`host.realDir`,
 * which the test reads directly), DATA/images to one directory all hosts share (an image store on
 * NFS), and `cluster.sharedPoolPath` to one shared directory (an NFS-backed pool). Nothing
 * touches the machine's own network or mount table, and `close()` (or, failing that, the exit of
 * the test process, or the next cluster started after the test process was killed) removes it all.
 * Set HERD_TEST_CLUSTER_LOGS=DIR to keep the daemons' logs.
 *
 *   const cluster = await startCluster();
 *   afterAll(() => cluster.close());
 *   const [h1, h2, h3] = cluster.hosts;
 *   await h1.client.call('listHosts');
 *   h3.cutLink(); ... await h3.restoreLink();
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, join } from 'node:path';
import { ClusterHost, clusterApiPort, type ClusterLayout } from './cluster-host.js';
import { makeClusterNetwork, type ClusterNetwork } from './cluster-network.js';
import { startPostgres, type ClusterPostgres } from './cluster-postgres.js';
import { qemuProcessesOn, type QemuProcess } from './cluster-qemu.js';
import { clusterTmp, namespacesOf, removeNamespacesAndDir, signalNetnsProcesses, sweepStaleClusters, teardownAtExit } from './cluster-teardown.js';

export { ClusterHost } from './cluster-host.js';
export type { CutMode } from './cluster-network.js';
export type { QemuProcess } from './cluster-qemu.js';

/** What a host's extra daemon arguments may depend on. */
export interface HostInfo {
  /** h1, h2, ... */
  readonly name: string;
  /** 0, 1, ... */
  readonly index: number;
  readonly address: string;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** How many hosts (default 3, at most 9). */
  readonly hosts?: number;
  /** Extra `herd serve` arguments, for every host or per host (timing flags, for example). */
  readonly daemonArgs?: readonly string[] | ((host: HostInfo) => readonly string[]);
  /** Whether to start the daemons (default true); with false, start them with `host.start()`. */
  readonly start?: boolean;
}

/** A running test cluster. */
export interface Cluster {
  /** The cluster's name, herdc-PID-RANDOM: its namespaces are ID-hub, ID-h1, ...; its directory /tmp/ID. */
  readonly id: string;
  /** Its temporary directory (removed by `close()`). */
  readonly root: string;
  readonly hosts: readonly ClusterHost[];
  /** The database every host uses: postgres://postgres@HUB:5432/herd. */
  readonly pgUrl: string;
  /** The PostgreSQL server (psql in database `herd`, its log). */
  readonly postgres: ClusterPostgres;
  /** The namespaces and links. */
  readonly network: ClusterNetwork;
  /** The data directory path on every host (`--data-dir`); each host's files are in `host.realDir`. */
  readonly dataDir: string;
  /** The shared pool's path on every host (for `herd pool create --path`). */
  readonly sharedPoolPath: string;
  /** Where the test reads the shared pool's files. */
  readonly sharedPoolRealDir: string;
  /** Where the test reads the images all hosts share (DATA/images on every host). */
  readonly imagesRealDir: string;
  /** The host called `name`; throws if there is none. */
  host(name: string): ClusterHost;
  /** The live QEMU processes on the cluster's hosts, with the VM and host of each. */
  qemuProcesses(): QemuProcess[];
  /**
   * Kills every daemon and QEMU, stops PostgreSQL, deletes the namespaces and removes the
   * directories. Safe to call more than once and after a partial start.
   */
  close(): Promise<void>;
}

/**
 * Starts PostgreSQL and (unless `start: false`) all daemons at once, and resolves when every
 * daemon serves. On any failure it removes everything it made and throws, quoting the logs.
 * Needs root, `ip`, `bridge`, `unshare`, `setpriv` and a PostgreSQL server installation.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.hosts ?? 3;
  if (!(Number.isInteger(count) && count >= 1 && count <= 9)) throw new Error(`a test cluster has 1 to 9 hosts, not ${count}`);
  sweepStaleClusters();

  const root = mkdtempSync(join(clusterTmp, `herdc-${process.pid}-`));
  const id = basename(root);
  const exitHook = teardownAtExit(id);
  // QEMUs (users of their own) and PostgreSQL must pass through the root.
  chmodSync(root, 0o711);
  const names = Array.from({ length: count }, (_, i) => `h${i + 1}`);
  const layout: ClusterLayout = {
    root,
    dataDir: join(root, 'data'),
    sharedPoolPath: join(root, 'shared'),
    sharedPoolRealDir: join(root, 'shared-real'),
    imagesRealDir: join(root, 'images'),
    realDirOf: (name) => join(root, name),
  };
  let network: ClusterNetwork | undefined;
  let postgres: ClusterPostgres | undefined;
  const hosts: ClusterHost[] = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      saveLogs(id, hosts, postgres);
      await Promise.allSettled(hosts.map((h) => h.dispose()));
      const namespaces = namespacesOf(id);
      // Daemons first (so none restarts a VM), then QEMUs and helpers, then the database.
      signalNetnsProcesses(namespaces.filter((ns) => ns !== network?.hub), 'SIGKILL');
      await postgres?.stop();
      for (let i = 0; i < 100 && signalNetnsProcesses(namespaces, 'SIGKILL') > 0; i++) await sleep(50);
      removeNamespacesAndDir(id, namespaces);
      exitHook.forget();
    })());

  try {
    // The common paths are empty mount points here; DATA/images must exist in each host's directory to be one.
    for (const dir of [layout.dataDir, layout.sharedPoolPath, layout.sharedPoolRealDir, layout.imagesRealDir]) mkdirSync(dir, { mode: 0o755 });
    for (const name of names) mkdirSync(join(layout.realDirOf(name), 'images'), { recursive: true, mode: 0o711 });
    network = makeClusterNetwork(id, names);
    postgres = await startPostgres({ netns: network.hub, address: network.hubAddress, subnet: network.subnet, dir: join(root, 'pg') });
    const pgUrl = postgres.url;
    for (const [index, link] of network.hosts.entries()) {
      const extra = typeof options.daemonArgs === 'function' ? options.daemonArgs({ name: link.name, index, address: link.address }) : (options.daemonArgs ?? []);
      const args = [
        '--data-dir', layout.dataDir,
        '--db', pgUrl,
        '--host-name', link.name,
        '--listen', `${link.address}:${clusterApiPort}`,
        '--advertise', `https://${link.address}:${clusterApiPort}`,
        '--accel', 'tcg',
        '--no-default-network',
        '--log-level', 'debug',
        ...extra,
      ];
      hosts.push(new ClusterHost(link, network, layout, args));
    }
    if (options.start ?? true) {
      const started = await Promise.allSettled(hosts.map((h) => h.start()));
      const failed = started.flatMap((r, i) => (r.status === 'rejected' ? [`${hosts[i]!.name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : []));
      if (failed.length > 0) throw new Error(`the cluster did not start:\n${failed.join('\n\n')}`);
    }
    const net = network;
    const pg = postgres;
    return {
      id,
      root,
      hosts,
      pgUrl,
      postgres: pg,
      network: net,
      dataDir: layout.dataDir,
      sharedPoolPath: layout.sharedPoolPath,
      sharedPoolRealDir: layout.sharedPoolRealDir,
      imagesRealDir: layout.imagesRealDir,
      host(name) {
        const h = hosts.find((x) => x.name === name);
        if (!h) throw new Error(`no host '${name}' in this cluster (hosts: ${names.join(', ')})`);
        return h;
      },
      qemuProcesses: () => qemuProcessesOn(net.hosts),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * With $HERD_TEST_CLUSTER_LOGS set to a directory, keeps each daemon's and PostgreSQL's output
 * there (ID-h1.log, ..., ID-postgres.log) when the cluster closes: its own directory goes.
 */
function saveLogs(id: string, hosts: readonly ClusterHost[], postgres: ClusterPostgres | undefined): void {
  const dir = process.env.HERD_TEST_CLUSTER_LOGS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  for (const h of hosts) writeFileSync(join(dir, `${id}-${h.name}.log`), `${h.logs.join('\n')}\n`);
  if (postgres) writeFileSync(join(dir, `${id}-postgres.log`), `${postgres.logs.join('\n')}\n`);
}
