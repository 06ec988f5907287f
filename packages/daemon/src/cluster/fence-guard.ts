/**
 * Starts (or finds) this host's fence guard and keeps its deadline moving: see
 * fence-guard-main.ts. One guard per data directory; it outlives the daemon on purpose, since
 * a crashed daemon is exactly when someone must stop the VMs before the leader restarts them
 * elsewhere.
 */
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { processCmdline, processState } from '../host/proc.js';
import { startDetached } from '../host/exec.js';
import type { DataPaths } from '../paths.js';
import { monotonicMs, removeFenceDeadline, writeFenceDeadline, writeFencedVms } from './fence-deadline.js';

/** The guard's entry point, built beside this module. */
export const fenceGuardMain = join(import.meta.dirname, 'fence-guard-main.js');

/** The guard's files in a data directory. */
export function fenceFiles(paths: DataPaths): { deadline: string; vms: string; pidfile: string; log: string } {
  return { deadline: join(paths.root, 'fence.deadline'), vms: join(paths.root, 'fence.vms'), pidfile: join(paths.root, 'fence-guard.pid'), log: join(paths.logRoot, 'fence-guard.log') };
}

/** This host's fence guard. */
export class FenceGuard {
  readonly #paths: DataPaths;
  readonly #log: Logger;
  readonly #files: ReturnType<typeof fenceFiles>;
  readonly #main: string;

  /** `main` is the guard's built entry point (tests running the sources point it at dist/). */
  constructor(paths: DataPaths, log: Logger, main = fenceGuardMain) {
    this.#paths = paths;
    this.#log = log;
    this.#files = fenceFiles(paths);
    this.#main = main;
  }

  /**
   * Arms the guard with a first deadline and starts it unless a guard for this data directory
   * already runs (after a daemon restart it does).
   */
  async start(deadline: number, haVms: readonly string[]): Promise<void> {
    writeFencedVms(this.#files.vms, haVms);
    writeFenceDeadline(this.#files.deadline, deadline);
    const running = this.#runningPid();
    if (running !== undefined) {
      this.#log.info({ pid: running }, 'fence guard already running');
      return;
    }
    const out = openSync(this.#files.log, 'a', 0o600);
    try {
      const child = await startDetached(process.execPath, [this.#main, this.#paths.runRoot, this.#files.deadline, this.#files.log, this.#files.vms], { outputFd: out, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      writeFileSync(this.#files.pidfile, `${child.pid}\n`, { mode: 0o600 });
      this.#log.info({ pid: child.pid }, 'fence guard started');
    } finally {
      closeSync(out);
    }
  }

  /** Moves the deadline (monotonic ms; the lease was renewed) and sets the VMs it would stop. */
  extend(deadline: number, haVms: readonly string[]): void {
    writeFencedVms(this.#files.vms, haVms);
    writeFenceDeadline(this.#files.deadline, deadline);
  }

  /** Disarms and ends the guard (the host leaves cluster mode). */
  disarm(): void {
    removeFenceDeadline(this.#files.deadline);
  }

  #runningPid(): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(this.#files.pidfile, 'utf8').trim());
    } catch {
      return undefined;
    }
    if (!(pid > 0) || processState(pid) !== 'alive') return undefined;
    const argv = processCmdline(pid) ?? [];
    return argv.includes(this.#main) && argv.includes(this.#paths.runRoot) ? pid : undefined;
  }
}

export { monotonicMs };
