/**
 * Emptying a host by live migration, on the host itself (the API forwards `maintenance` and
 * `evacuate` to it, so each migration is local and can be cancelled): `maintenance` marks it
 * `draining` (the scheduler sends it nothing new), moves every VM, highest priority first, and
 * ends in `maintenance`; `evacuate` moves the VMs and leaves the mode alone. Cancelling
 * (maintenance off) stops the drain: the migration in flight is abandoned and its VM runs on
 * here, as does every VM that failed to move.
 */
import { HerdError, type Operation } from '@herd/api';
import type { Logger } from 'pino';
import type { OperationStore } from '../operations/operation-store.js';
import { runOperation } from '../operations/run-operation.js';
import type { Db } from '../store/open-database.js';
import type { HostRepo } from './host-repo.js';
import type { MigrationService } from './migration-service.js';

/** What a drain needs. */
export interface HostDrainDeps {
  readonly db: Db;
  readonly hostName: string;
  readonly clustered: boolean;
  readonly hosts: HostRepo;
  readonly ops: OperationStore;
  readonly migrations: MigrationService;
  readonly log: Logger;
}

/** One VM's fate in a drain. */
interface Moved {
  readonly vm: string;
  readonly to?: string;
  readonly error?: string;
}

/** Drains this host. */
export class HostDrain {
  readonly #d: HostDrainDeps;
  #running: { abort: AbortController; done: Promise<void> } | undefined;

  constructor(deps: HostDrainDeps) {
    this.#d = deps;
  }

  /** Puts this host into maintenance (draining it first), or takes it out (cancelling a drain). */
  async maintenance(enable: boolean): Promise<Operation | undefined> {
    if (!enable) {
      const running = this.#running;
      running?.abort.abort(new Error('maintenance was cancelled'));
      await running?.done;
      await this.#d.hosts.setMode(this.#d.hostName, 'active');
      this.#d.log.info({ host: this.#d.hostName }, 'maintenance ended: the host takes VMs again');
      return undefined;
    }
    return this.#start(true);
  }

  /** Moves every VM off this host, leaving its mode as it is. */
  async evacuate(): Promise<Operation> {
    return this.#start(false);
  }

  async #start(enterMaintenance: boolean): Promise<Operation> {
    const me = this.#d.hostName;
    if (!this.#d.clustered) throw new HerdError('migration_refused', { name: me, reason: 'this installation has one host; there is nowhere to move its VMs' });
    if (this.#running) throw new HerdError('migration_refused', { name: me, reason: 'a drain of this host is already running; wait for it or cancel it with maintenance off' });
    if (enterMaintenance) await this.#d.hosts.setMode(me, 'draining');
    const op = await this.#d.ops.create('host.evacuate', { type: 'host', id: null, name: me }, { maintenance: enterMaintenance }, enterMaintenance ? `draining ${me} for maintenance` : `evacuating ${me}`);
    const abort = new AbortController();
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    this.#running = { abort, done };
    void runOperation(this.#d.ops, this.#d.log, op.id, 'host.evacuate', async (progress) => {
      try {
        const vms = await this.#d.db.selectFrom('vms').select(['id', 'name']).where('host', '=', me).where('deleting', '=', 0).orderBy('priority', 'desc').orderBy('created_at').execute();
        const moved: Moved[] = [];
        for (const [i, vm] of vms.entries()) {
          if (abort.signal.aborted) break;
          progress(Math.floor((i / Math.max(1, vms.length)) * 100), `moving ${vm.name} (${i + 1} of ${vms.length})`);
          try {
            const r = await this.#d.migrations.move(vm.id, {}, () => undefined, abort.signal);
            moved.push({ vm: vm.name, to: r.to });
          } catch (e) {
            moved.push({ vm: vm.name, error: e instanceof Error ? e.message : String(e) });
            this.#d.log.warn({ host: me, vm: vm.name, err: e instanceof Error ? e.message : String(e) }, 'drain: VM stays on this host');
          }
        }
        if (abort.signal.aborted) throw new HerdError('operation_cancelled', { id: op.id, reason: `the drain of ${me} was cancelled; ${moved.filter((m) => m.to).length} VMs had moved, the rest run on here` });
        const stuck = moved.filter((m) => m.error);
        if (stuck.length > 0) throw new HerdError('migration_refused', { name: me, reason: `${stuck.length} of ${vms.length} VMs could not move and run on here: ${stuck.map((m) => `${m.vm} (${m.error})`).join('; ')}` });
        if (enterMaintenance) await this.#d.hosts.setMode(me, 'maintenance');
        return { host: me, moved };
      } finally {
        this.#running = undefined;
        finish();
      }
    });
    return op;
  }
}
