/**
 * Runs a real herd daemon as a separate process for end-to-end tests, so tests can kill it
 * with SIGKILL and start it again on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HerdClient } from '@herd/api';
import { relayOutOfNetns, relayToUnixSocket } from './unix-relay.js';
import { checkingFetch } from './openapi-check.js';

const repo = join(import.meta.dirname, '..', '..');
/** The built daemon entry. */
export const daemonMain = join(repo, 'packages', 'daemon', 'dist', 'main.js');
/** The node flags the daemon runs with (see packages/daemon/src/main.ts). */
export const daemonNodeFlags = ['--lite-mode', '--max-semi-space-size=1', '--optimize-for-size', '--no-expose-wasm'];
/** The built CLI entry. */
export const cliMain = join(repo, 'packages', 'cli', 'dist', 'herd.mjs');

/** A daemon process under test. */
export class DaemonProcess {
  readonly dataDir: string;
  url = '';
  client!: HerdClient;
  /** The cluster admin's token the daemon made on its first start (DATA/admin.token). */
  token = '';
  #child: ChildProcess | undefined;
  #relay: { url: string; close(): void } | undefined;
  #netnsRelay: { close(): void } | undefined;
  logs: string[] = [];

  constructor(dataDir?: string) {
    // Short paths: VM sockets live under the data dir and the kernel limits socket paths to 107 bytes.
    this.dataDir = dataDir ?? mkdtempSync('/tmp/herd-e2e-');
  }

  /**
   * Starts the daemon and waits until it serves. With `netns`, the daemon (and so its QEMUs,
   * bridges, taps, rules and DHCP servers) runs inside that network namespace, serving on a unix
   * socket that a relay in this process exposes on loopback here. Without it, the daemon runs
   * here and makes no networks (`--no-default-network`), so tests never touch the host's own.
   * With `netns` and `tcp`, the daemon serves TCP on loopback in the namespace instead, as remote
   * callers see it (no peer credentials: a request without a token is anonymous, not root).
   */
  async start(extraArgs: string[] = [], options: { netns?: string; tcp?: boolean } = {}): Promise<void> {
    const socket = join(this.dataDir, 'api.sock');
    const listen = options.netns
      ? ['--listen', options.tcp ? '127.0.0.1:0' : `unix:${socket}`]
      : ['--listen', '127.0.0.1:0', '--no-default-network'];
    const argv = [...daemonNodeFlags, daemonMain, '--data-dir', this.dataDir, ...listen, '--log-level', 'debug', ...extraArgs];
    const child = options.netns
      ? spawn('ip', ['netns', 'exec', options.netns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`daemon did not start: ${this.logs.join('\n').slice(-2000)}`)), 30_000);
      child.stdout!.on('data', (b: Buffer) => {
        buf += b.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          this.logs.push(line);
          try {
            const j = JSON.parse(line) as { msg?: string; url?: string };
            if (j.msg === 'herd is serving' && j.url) {
              clearTimeout(timer);
              resolve(j.url);
            }
          } catch {
            // not JSON
          }
        }
      });
      child.stderr!.on('data', (b: Buffer) => this.logs.push(b.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`daemon exited with ${code}: ${this.logs.join('\n').slice(-2000)}`));
      });
    });
    if (options.netns && options.tcp) {
      const inNetns = new URL(this.url);
      const tcpSocket = join(this.dataDir, 'tcp.sock');
      this.#netnsRelay?.close();
      this.#netnsRelay = await relayOutOfNetns(options.netns, inNetns.hostname, Number(inNetns.port), tcpSocket);
      this.url = `unix:${tcpSocket}`;
    }
    if (this.url.startsWith('unix:')) {
      this.#relay?.close();
      this.#relay = await relayToUnixSocket(this.url.slice('unix:'.length));
      this.url = this.#relay.url;
    }
    this.token = readFileSync(join(this.dataDir, 'admin.token'), 'utf8').trim();
    this.client = new HerdClient({ url: this.url, token: this.token, fetch: checkingFetch });
  }

  /** The daemon's pid. */
  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  /** Kills the daemon with SIGKILL (VMs keep running). */
  async kill9(): Promise<void> {
    const child = this.#child;
    if (!child || hasEnded(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops the daemon gracefully (VMs keep running). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || hasEnded(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  /** Force-stops every VM, stops the daemon and removes the data directory. */
  async destroy(): Promise<void> {
    try {
      if (this.#child && !hasEnded(this.#child)) {
        for (const vm of await this.client.call('listVms')) {
          await this.client.call('deleteVm', { params: { id: vm.id }, query: { wait: true, timeoutSeconds: 30 } }).catch(() => undefined);
        }
      }
    } finally {
      await this.stop();
      this.#relay?.close();
      this.#netnsRelay?.close();
      // A daemon that died (or failed to start) could not delete its VMs: end whatever still
      // runs from its data directory (QEMU, dnsmasq) before the directory goes.
      killProcessesUsing(this.dataDir);
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  /** Headers that authenticate a raw request as the cluster admin. */
  get auth(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  /** A client for this daemon with another token (and project). */
  clientWith(token: string | undefined, project?: string): HerdClient {
    return new HerdClient({ url: this.url, ...(token ? { token } : {}), ...(project ? { project } : {}), fetch: checkingFetch });
  }

  /** Runs the CLI against this daemon. */
  cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCli(['--url', this.url, ...args], input, { ...process.env, HERD_TOKEN: this.token });
  }
}

/** Whether `child` has ended, by exiting or by a signal (kill9 leaves exitCode null). */
function hasEnded(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Runs the built CLI with `args`, feeding `input` on stdin. */
export function runCli(args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliMain, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** SIGKILLs every process whose command line mentions `dir`. */
function killProcessesUsing(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(`${dir}/`)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
