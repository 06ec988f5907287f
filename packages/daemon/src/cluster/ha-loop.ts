/**
 * The HA loop, run by the leader only: finds hosts whose lease ran out, fences them in the
 * database (status offline), and restarts their HA VMs on hosts the scheduler picks, highest
 * priority first.
 *
 * Why a VM never runs twice: a host's own fence guard kills its QEMUs `fenceMargin` before its
 * lease ends (fence-guard-main.ts); the leader acts only `grace` after the lease's end, by the
 * database's clock, and only on hosts it could mark offline in the same transaction that moves
 * their VMs (a conditional update on the lease it saw expire, so a host that renewed meanwhile
 * is left alone). A fenced host that comes back re-registers and reconciles what the database
 * says is its own, which no longer includes the moved VMs.
 */
import type { Logger } from 'pino';
import type { Db } from '../store/open-database.js';
import type { Database, VmRow } from '../store/schema.js';
import type { Transaction } from 'kysely';
import { dbNow } from '../store/db-clock.js';
import { lockKey } from '../store/db-lock.js';
import type { EventInput } from '../events/event-log.js';

/** What the HA loop needs. */
export interface HaLoopDeps {
  readonly db: Db;
  readonly hostName: string;
  readonly log: Logger;
  /** How long after a lease's end the leader waits before it fences and restarts (ms). */
  readonly graceMs: number;
  /** How often it looks (ms). */
  readonly intervalMs: number;
  /** True while this host holds the leader lease with this term. */
  readonly leading: () => { term: number } | undefined;
  /** The host the scheduler picks for `vm`, never one of `exclude`; throws no_host_fits. */
  readonly chooseHost: (trx: Transaction<Database>, vm: VmRow, exclude: readonly string[]) => Promise<string>;
  /** Tells the VM's (new) host to reconcile it now. */
  readonly wake: (vmId: string) => void;
  readonly note: (e: EventInput) => Promise<unknown>;
}

/** One VM the loop moved or could not move. */
export interface HaOutcome {
  readonly vm: string;
  readonly from: string;
  readonly to?: string;
  readonly reason?: string;
}

/** Runs while this host leads. */
export class HaLoop {
  readonly #d: HaLoopDeps;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  /** VMs already reported as impossible to move, so the log is not flooded every pass. */
  readonly #reported = new Set<string>();

  constructor(deps: HaLoopDeps) {
    this.#d = deps;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick().catch((e: unknown) => this.#d.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'HA pass failed; will retry')), this.#d.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass: fence late hosts, then place the HA VMs of offline hosts. */
  async tick(): Promise<HaOutcome[]> {
    if (this.#running || !this.#d.leading()) return [];
    this.#running = true;
    try {
      await this.#fenceLateHosts();
      return await this.#restartStranded();
    } finally {
      this.#running = false;
    }
  }

  async #fenceLateHosts(): Promise<void> {
    const { db, hostName, graceMs, log } = this.#d;
    const cutoff = new Date((await dbNow(db)).getTime() - graceMs).toISOString();
    const late = await db.selectFrom('hosts').select(['name', 'lease_expires_at', 'heartbeat_at']).where('status', '=', 'online').where('name', '!=', hostName).where('lease_expires_at', '<', cutoff).execute();
    for (const h of late) {
      const fenced = await db.transaction().execute(async (trx) => {
        if (!(await this.#stillLeading(trx))) return false;
        const r = await trx.updateTable('hosts').set({ status: 'offline' }).where('name', '=', h.name).where('status', '=', 'online').where('lease_expires_at', '=', h.lease_expires_at).executeTakeFirst();
        return Number(r.numUpdatedRows) === 1;
      });
      if (!fenced) continue;
      log.warn({ host: h.name, leaseExpiredAt: h.lease_expires_at, lastHeartbeat: h.heartbeat_at }, 'host stopped renewing its lease: fenced, its HA VMs move');
      await this.#d.note({ type: 'host.fenced', target: { type: 'host', id: null, name: h.name }, message: `host ${h.name} stopped heartbeating (last ${h.heartbeat_at}); marked offline, its HA VMs restart elsewhere`, data: { leaseExpiredAt: h.lease_expires_at } });
    }
  }

  /** HA VMs that should run but sit on offline hosts, highest priority first. */
  async #restartStranded(): Promise<HaOutcome[]> {
    const { db, log } = this.#d;
    const stranded = await db
      .selectFrom('vms')
      .innerJoin('hosts', 'hosts.name', 'vms.host')
      .selectAll('vms')
      .where('hosts.status', '=', 'offline')
      .where('vms.ha', '=', 1)
      .where('vms.deleting', '=', 0)
      .where('vms.desired_state', '!=', 'stopped')
      .orderBy('vms.priority', 'desc')
      .orderBy('vms.created_at')
      .execute();
    const outcomes: HaOutcome[] = [];
    for (const vm of stranded as VmRow[]) {
      const from = vm.host;
      const local = await this.#localDisks(vm.id);
      if (local.length > 0) {
        outcomes.push({ vm: vm.name, from, reason: `its disks ${local.join(', ')} are in pools only ${from} reaches` });
        this.#reportOnce(vm, from, `cannot restart ${vm.name} elsewhere: its disks ${local.join(', ')} are on host-local pools of ${from}; put HA VMs on shared pools`);
        continue;
      }
      try {
        const to = await db.transaction().execute(async (trx) => {
          if (!(await this.#stillLeading(trx))) return undefined;
          await lockKey(trx, 'placement');
          // Re-read under the lock: another pass or a user may have moved or stopped it.
          const now = await trx.selectFrom('vms').innerJoin('hosts', 'hosts.name', 'vms.host').select(['vms.host', 'hosts.status']).where('vms.id', '=', vm.id).where('vms.deleting', '=', 0).executeTakeFirst();
          if (!now || now.host !== from || now.status !== 'offline') return undefined;
          const chosen = await this.#d.chooseHost(trx, vm, [from]);
          await trx
            .updateTable('vms')
            .set({ host: chosen, migrating_to: null, state: 'stopped', pid: null, started_at: null, stop_deadline: null, reason: `restarted by HA: host ${from} failed`, state_changed_at: new Date().toISOString(), updated_at: new Date().toISOString() })
            .where('id', '=', vm.id)
            .execute();
          return chosen;
        });
        if (!to) continue;
        this.#reported.delete(vm.id);
        outcomes.push({ vm: vm.name, from, to });
        log.warn({ vmId: vm.id, vm: vm.name, from, to, priority: vm.priority }, 'HA: restarting VM of a failed host elsewhere');
        await this.#d.note({ type: 'vm.ha-restart', target: { type: 'vm', id: vm.id, name: vm.name }, message: `${vm.name} restarts on ${to}: its host ${from} failed`, data: { from, to } });
        this.#d.wake(vm.id);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        outcomes.push({ vm: vm.name, from, reason });
        this.#reportOnce(vm, from, `cannot restart ${vm.name} elsewhere yet: ${reason}`);
      }
    }
    return outcomes;
  }

  /** Names of the VM's volumes in pools that are not shared. */
  async #localDisks(vmId: string): Promise<string[]> {
    const rows = await this.#d.db.selectFrom('volumes').innerJoin('pools', 'pools.id', 'volumes.pool_id').select(['volumes.name']).where('volumes.vm_id', '=', vmId).where('pools.shared', '=', 0).execute();
    return rows.map((r) => r.name);
  }

  async #stillLeading(trx: Transaction<Database>): Promise<boolean> {
    const me = this.#d.leading();
    if (!me) return false;
    const lease = await trx.selectFrom('leases').select(['holder', 'term']).where('name', '=', 'leader').executeTakeFirst();
    return lease?.holder === this.#d.hostName && lease.term === me.term;
  }

  #reportOnce(vm: VmRow, from: string, message: string): void {
    if (this.#reported.has(vm.id)) return;
    this.#reported.add(vm.id);
    this.#d.log.error({ vmId: vm.id, vm: vm.name, host: from }, message);
    void this.#d.note({ type: 'vm.ha-blocked', target: { type: 'vm', id: vm.id, name: vm.name }, message }).catch(() => undefined);
  }
}

