/**
 * Removing a test cluster without a trace: every process in its namespaces (daemons, QEMUs,
 * PostgreSQL), the namespaces, and its temporary directory. Runs from `close()`, from a
 * process-exit hook when a test file ends without closing, and for clusters left behind by test
 * processes that died (SIGKILL) before either could run.
 *
 * Clusters are named `herdc-PID-RANDOM` (PID: the test process), for their namespaces
 * (/run/netns/herdc-PID-RANDOM-*) and their directory (/tmp/herdc-PID-RANDOM).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The directory temporary cluster directories are made in. */
export const clusterTmp = '/tmp';
// mkdtemp's six random characters follow the pid; namespaces add `-hub`, `-h1`, ...
const namePattern = /^(herdc-(\d+)-[A-Za-z0-9]{6})(?:-|$)/;

/** Pids of the processes in network namespace `ns` (none when it is gone). */
export function pidsInNetns(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Sends `signal` to every process in the namespaces; returns how many there were. */
export function signalNetnsProcesses(namespaces: readonly string[], signal: NodeJS.Signals): number {
  let n = 0;
  for (const ns of namespaces)
    for (const pid of pidsInNetns(ns)) {
      n++;
      try {
        process.kill(pid, signal);
      } catch {
        // gone already
      }
    }
  return n;
}

/** The namespaces of cluster `id` (herdc-PID-RANDOM) that exist now. */
export function namespacesOf(id: string): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns').filter((ns) => ns.startsWith(`${id}-`));
}

/**
 * Synchronously SIGKILLs everything in cluster `id`'s namespaces, deletes them and removes its
 * directory, in well under a second. For exit hooks and stale clusters; `close()` is gentler.
 */
export function teardownSync(id: string): void {
  const namespaces = namespacesOf(id);
  // Quick: a signal handler has a second before vitest's SIGKILL. Only a process stuck in the
  // kernel outlives this, keeping its (then nameless) namespace until it dies.
  for (let i = 0; i < 5 && signalNetnsProcesses(namespaces, 'SIGKILL') > 0; i++) execFileSync('sleep', ['0.05']);
  removeNamespacesAndDir(id, namespaces);
}

/** Deletes the namespaces and the cluster's directory (mounts live only in the hosts' mount namespaces). */
export function removeNamespacesAndDir(id: string, namespaces: readonly string[]): void {
  for (const ns of namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // gone already
    }
  }
  rmSync(join(clusterTmp, id), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** Tears down clusters whose test process is gone (killed before it could clean up). */
export function sweepStaleClusters(): void {
  const ids = new Set<string>();
  const names = [...(existsSync('/run/netns') ? readdirSync('/run/netns') : []), ...readdirSync(clusterTmp)];
  for (const name of names) {
    const m = namePattern.exec(name);
    if (m && !isAlive(Number(m[2]))) ids.add(m[1]!);
  }
  for (const id of ids) teardownSync(id);
}

const live = new Map<string, () => void>();
const fatalSignals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function teardownLive(): void {
  for (const teardown of live.values()) teardown();
  live.clear();
}

// vitest ends its worker processes with SIGTERM (and SIGKILL a second later), which skips 'exit'
// hooks: tear down, then die of the same signal as if nobody had listened.
function onFatalSignal(signal: NodeJS.Signals): void {
  teardownLive();
  unhook();
  process.kill(process.pid, signal);
}

function unhook(): void {
  process.off('exit', teardownLive);
  for (const s of fatalSignals) process.off(s, onFatalSignal);
}

/**
 * Tears cluster `id` down when this process exits or is ended by SIGTERM, SIGINT or SIGHUP,
 * unless `forget()` is called first (by `close()`).
 */
export function teardownAtExit(id: string): { forget(): void } {
  if (live.size === 0) {
    process.on('exit', teardownLive);
    for (const s of fatalSignals) process.on(s, onFatalSignal);
  }
  live.set(id, () => teardownSync(id));
  return {
    forget: () => {
      live.delete(id);
      if (live.size === 0) unhook();
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
