/**
 * One host of a test cluster: a herd daemon in the host's network namespace and in a mount
 * namespace of its own, where the same paths as on every other host (the data directory, the
 * shared pool) lead to this host's files, as /var/lib/herd does on real cluster nodes.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HerdClient } from '@herd/api';
import type { ClusterNetwork, CutMode, HostLink } from './cluster-network.js';
import { spawnCollecting, type CollectingProcess } from './cluster-spawn.js';
import { daemonMain, daemonNodeFlags, runCli } from './daemon-process.js';
import { checkingFetch } from './openapi-check.js';
import { relayToUnixSocket } from './unix-relay.js';

/** The directories of a test cluster, as seen from the test (the root mount namespace). */
export interface ClusterLayout {
  /** The cluster's temporary directory; everything below is removed at the end. */
  readonly root: string;
  /** The data directory path every host's daemon uses (empty here; bound over per host). */
  readonly dataDir: string;
  /** The shared pool's path on every host (empty here; bound over per host). */
  readonly sharedPoolPath: string;
  /** The real directory behind the shared pool (the "NFS export"). */
  readonly sharedPoolRealDir: string;
  /** The real directory behind DATA/images on every host. */
  readonly imagesRealDir: string;
  /** The real directory behind host `name`'s data directory. */
  realDirOf(name: string): string;
}

/** The port each daemon serves its API on, on its host's address. */
export const clusterApiPort = 8443;

// Binds the host's real directories over the common paths, then runs the command. The script is
// fixed: every path and argument reaches it as a positional parameter, never as shell text.
const bindThenExec = 'mount --bind -- "$1" "$2" && mount --bind -- "$3" "$4" && mount --bind -- "$5" "$6" && shift 6 && exec "$@"';

/** A result of running something to its end. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A host of a test cluster and its daemon. */
export class ClusterHost {
  /** The host's name (`--host-name`): h1, h2, ... */
  readonly name: string;
  /** Its network namespace. */
  readonly netns: string;
  /** Its address on the cluster network. */
  readonly address: string;
  /** The URL it advertises to the other hosts (`--advertise`). */
  readonly advertiseUrl: string;
  /** The real directory behind its data directory (reachable from the test). */
  readonly realDir: string;
  /** Its daemon's local API socket, as the test reaches it (root is admin there, no token). */
  readonly socketPath: string;
  /** The daemon's output lines, across restarts (each start adds a marker line). */
  readonly logs: string[] = [];
  readonly #link: HostLink;
  readonly #network: ClusterNetwork;
  readonly #layout: ClusterLayout;
  readonly #daemonArgs: readonly string[];
  #daemon: CollectingProcess | undefined;
  #relay: { url: string; close(): void } | undefined;
  #client: HerdClient | undefined;

  /** Used by startCluster; `daemonArgs` are the full `herd serve` arguments for this host. */
  constructor(link: HostLink, network: ClusterNetwork, layout: ClusterLayout, daemonArgs: readonly string[]) {
    this.#link = link;
    this.#network = network;
    this.#layout = layout;
    this.#daemonArgs = daemonArgs;
    this.name = link.name;
    this.netns = link.netns;
    this.address = link.address;
    this.advertiseUrl = `https://${link.address}:${clusterApiPort}`;
    this.realDir = layout.realDirOf(link.name);
    this.socketPath = join(this.realDir, 'herd.sock');
  }

  /** A client of this daemon over its local socket; valid after the first `start()`, across restarts. */
  get client(): HerdClient {
    if (!this.#client) throw new Error(`host ${this.name} was never started`);
    return this.#client;
  }

  /** The daemon's pid, or undefined when it does not run. */
  get pid(): number | undefined {
    return this.#daemon && !this.#daemon.exited ? this.#daemon.child.pid : undefined;
  }

  /**
   * Starts the daemon (again) on this host's data and waits until it serves, up to 90 s (three
   * daemons starting at once on a busy 2-core machine take 30 s); throws with its last output
   * when it exits or times out first, and then leaves it not running. Does nothing while it runs.
   * `extraArgs` go after the cluster's own for this start only.
   */
  async start(extraArgs: readonly string[] = []): Promise<void> {
    if (this.pid !== undefined) return;
    this.#relay ??= await relayToUnixSocket(this.socketPath);
    this.#client ??= new HerdClient({ url: this.#relay.url, fetch: checkingFetch });
    const argv = this.#inHost([process.execPath, ...daemonNodeFlags, daemonMain, ...this.#daemonArgs, ...extraArgs]);
    this.logs.push(`--- herd-test: starting ${this.name} at ${new Date().toISOString()}: ${argv.join(' ')}`);
    const daemon = spawnCollecting(argv, { onLine: (line) => this.logs.push(line) });
    this.#daemon = daemon;
    try {
      await daemon.waitForLine(isServingLine, 90_000, `${this.name}'s daemon to serve`);
    } catch (e) {
      await this.kill();
      throw e;
    }
  }

  /** Stops the daemon with SIGTERM and waits for it to exit (SIGKILL after 30 s); its VMs keep running. */
  async stop(): Promise<void> {
    await this.#end('SIGTERM', 30_000);
  }

  /** Kills the daemon with SIGKILL, as a crash would; its QEMUs keep running. */
  async kill(): Promise<void> {
    await this.#end('SIGKILL', 0);
  }

  /** Cuts this host off the cluster network (PostgreSQL and every other host at once); see ClusterNetwork.cut. */
  cutLink(mode: CutMode = 'down'): void {
    this.#network.cut(this.name, mode);
  }

  /** Restores this host's link after `cutLink`. */
  async restoreLink(): Promise<void> {
    await this.#network.restore(this.name);
  }

  /** Runs the CLI (`herd ARGS`) against this daemon's local socket, as root on the host would. */
  cli(args: readonly string[], input?: string): Promise<RunResult> {
    const env = { ...process.env };
    delete env.HERD_URL;
    delete env.HERD_TOKEN;
    return runCli(['--url', `unix:${this.socketPath}`, ...args], input, env);
  }

  /**
   * Runs argv on this host: in its network namespace and with its view of the common paths (so
   * the data directory and the shared pool are this host's). No shell is involved.
   */
  exec(argv: readonly string[]): Promise<RunResult> {
    return new Promise((resolve) => {
      const full = this.#inHost(argv);
      const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', (e) => (stderr += e.message));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** Stops serving the test: kills the daemon if it runs and closes the relay. Idempotent. */
  async dispose(): Promise<void> {
    await this.kill();
    this.#relay?.close();
    this.#relay = undefined;
  }

  /** argv to run `argv` in this host's network namespace and a mount namespace with its binds. */
  #inHost(argv: readonly string[]): string[] {
    const l = this.#layout;
    const binds = [this.realDir, l.dataDir, l.imagesRealDir, join(l.dataDir, 'images'), l.sharedPoolRealDir, l.sharedPoolPath];
    return ['ip', 'netns', 'exec', this.#link.netns, 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', bindThenExec, 'herd-host', ...binds, ...argv];
  }

  async #end(signal: NodeJS.Signals, killAfterMs: number): Promise<void> {
    const daemon = this.#daemon;
    if (!daemon || daemon.exited) return;
    daemon.child.kill(signal);
    const timer = killAfterMs > 0 ? setTimeout(() => daemon.child.kill('SIGKILL'), killAfterMs) : undefined;
    await daemon.exit;
    clearTimeout(timer);
  }
}

/** The daemon's "herd is serving" log line (JSON, from pino). */
function isServingLine(line: string): boolean {
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === 'herd is serving';
  } catch {
    return false;
  }
}
