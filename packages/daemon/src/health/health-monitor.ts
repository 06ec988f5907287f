/**
 * Health checks of running VMs: a TCP port answering, or a console pattern appearing, checked
 * every interval with a timeout. After `retries` failures in a row (outside the start period)
 * the VM is unhealthy: an event says why, and when its restart policy allows, herd ends its
 * QEMU as a failure so that the policy restarts it.
 */
import type { HealthCheck } from '@herd/api';
import type { Logger } from 'pino';
import type { ConsoleHubs } from '../console/console-hub.js';
import type { VmRow } from '../store/schema.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { ConsoleWatch } from './console-watch.js';
import { probeTcp } from './tcp-probe.js';

/** What the monitor needs. */
export interface HealthMonitorDeps {
  readonly vms: VmRepo;
  readonly consoles: ConsoleHubs;
  readonly log: Logger;
  /** Ends a VM's QEMU as a failure (the restart policy then decides). */
  readonly failStop: (vmId: string, reason: string) => Promise<void>;
}

/** Defaults of the check timings. */
export const healthDefaults = { intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 30 } as const;

interface Watch {
  readonly key: string;
  timer: NodeJS.Timeout | undefined;
  console: ConsoleWatch | undefined;
  failures: number;
  lastCheck: number;
  state: VmRow['health'];
  stopped: boolean;
}

/** Runs the health checks of every running VM that has one. One per daemon. */
export class HealthMonitor {
  readonly #d: HealthMonitorDeps;
  readonly #watches = new Map<string, Watch>();

  constructor(deps: HealthMonitorDeps) {
    this.#d = deps;
  }

  /**
   * Checks VM `row` per its health check from now on (it has just started, been reattached, or
   * its check changed); stops checking it when it has none. Calling it again with the same
   * check changes nothing.
   */
  watch(row: VmRow): void {
    const key = `${row.health_check ?? ''}|${row.started_at ?? ''}`;
    const existing = this.#watches.get(row.id);
    if (existing?.key === key) return;
    this.unwatch(row.id);
    if (!row.health_check) return;
    const check = JSON.parse(row.health_check) as HealthCheck;
    const t = { ...healthDefaults, ...check };
    const startedAt = row.started_at ? Date.parse(row.started_at) : Date.now();
    const w: Watch = { key, timer: undefined, console: undefined, failures: 0, lastCheck: Date.now(), state: row.health, stopped: false };
    if (check.type === 'console') w.console = new ConsoleWatch(this.#d.consoles.get(row.id), check.pattern);
    this.#watches.set(row.id, w);
    if (w.state === 'none') void this.#setHealth(row, w, 'starting', 'health checks begin');
    const tick = async () => {
      if (w.stopped) return;
      const problem = await this.#probe(check, w, t.timeoutSeconds * 1000);
      if (w.stopped) return;
      const inStartPeriod = Date.now() - startedAt < t.startPeriodSeconds * 1000;
      if (problem === undefined) {
        w.failures = 0;
        if (w.state !== 'healthy') await this.#setHealth(row, w, 'healthy', 'health check passed');
      } else if (!inStartPeriod) {
        w.failures++;
        this.#d.log.info({ vm: row.name, vmId: row.id, failures: w.failures, problem }, 'health check failed');
        if (w.failures >= t.retries && w.state !== 'unhealthy') await this.#unhealthy(row, w, t.retries, problem);
      }
      if (!w.stopped) w.timer = setTimeout(() => void tick(), t.intervalSeconds * 1000);
    };
    w.timer = setTimeout(() => void tick(), t.intervalSeconds * 1000);
  }

  /** Stops checking a VM (it stopped or was deleted). */
  unwatch(vmId: string): void {
    const w = this.#watches.get(vmId);
    if (!w) return;
    w.stopped = true;
    clearTimeout(w.timer);
    w.console?.close();
    this.#watches.delete(vmId);
  }

  /** Stops every check (daemon shutdown). */
  closeAll(): void {
    for (const id of [...this.#watches.keys()]) this.unwatch(id);
  }

  async #probe(check: HealthCheck, w: Watch, timeoutMs: number): Promise<string | undefined> {
    if (check.type === 'tcp') return probeTcp(check.host ?? '127.0.0.1', check.port, timeoutMs);
    const since = w.lastCheck;
    w.lastCheck = Date.now();
    return (w.console?.lastMatch ?? 0) >= since ? undefined : `/${check.pattern}/ did not appear on the console since the last check`;
  }

  async #unhealthy(row: VmRow, w: Watch, retries: number, problem: string): Promise<void> {
    const current = await this.#d.vms.get(row.id);
    if (!current) return;
    const reason = `health check failed ${retries} times in a row: ${problem}`;
    await this.#setHealth(row, w, 'unhealthy', reason);
    if (current.restart_policy === 'no') return;
    this.#d.log.warn({ vm: row.name, vmId: row.id, reason }, 'VM unhealthy; restarting it per its restart policy');
    await this.#d.failStop(row.id, `unhealthy: ${reason}`);
  }

  async #setHealth(row: VmRow, w: Watch, health: VmRow['health'], why: string): Promise<void> {
    w.state = health;
    await this.#d.vms.setStatus(row.id, { health });
    if (health !== 'starting') await this.#d.vms.note(row, `vm.${health}`, `VM ${row.name} is ${health}: ${why}`, { health, reason: why });
  }
}
