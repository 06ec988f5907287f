/**
 * Live migration, on the VM's (source) host: `herd vm migrate VM [--to HOST]`, and the moves a
 * host drain or the rebalancer asks for. Pre-copy over TCP between the hosts' QEMUs (post-copy on
 * request), with the VM's host-local disks mirrored first into empty copies the destination
 * exports over NBD; disks on shared pools stay where they are.
 *
 * The VM runs on exactly one host throughout: the destination's QEMU waits paused until the
 * source's has sent everything and stopped; only then does the VM's host switch in the database,
 * and only after that does the destination run the guest. If anything fails before the switch,
 * the guest runs on at the source and the destination's copy is thrown away.
 */
import { rm } from 'node:fs/promises';
import { HerdError, type Operation } from '@herd/api';
import { runUnscoped } from '../tenancy/request-scope.js';
import type { Logger } from 'pino';
import type { EventInput } from '../events/event-log.js';
import { killQemuOf, processState } from '../host/proc.js';
import type { NicService } from '../networks/nic-service.js';
import type { OperationStore } from '../operations/operation-store.js';
import { runOperation, type Progress } from '../operations/run-operation.js';
import type { DataPaths } from '../paths.js';
import { DEFAULT_MIGRATION_OPTIONS, migrate, setMigrationOptions, tcpUri, type MigrationOptions, type MigrationResult } from '../qemu/qmp-migrate.js';
import { abortMirrors, finishMirrors, mirrorToNbd } from '../qemu/qmp-nbd-mirror.js';
import type { QmpClient } from '../qemu/qmp-client.js';
import { topNode } from '../qemu/qmp-nodes.js';
import type { VmReconciler } from '../reconcile/vm-reconciler.js';
import type { Db } from '../store/open-database.js';
import type { VmRow, VolumeRow } from '../store/schema.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';
import type { Forwarder } from './forwarder.js';
import type { PrepareAnswer, PrepareRequest } from './migration-target.js';
import { dropMigrationTls, ensureMigrationTls } from './migration-tls.js';
import { chooseHost } from './placement.js';

/** What a migration may be asked for (the API's VmMigrate). */
export interface MigrateRequest {
  readonly to?: string;
  readonly downtimeLimitMs?: number;
  readonly autoConverge?: boolean;
  readonly postcopy?: boolean;
  readonly maxBandwidthMiBps?: number;
}

/** What a completed move reports. */
export interface MoveResult extends Record<string, unknown> {
  readonly from: string;
  readonly to: string;
  /** Live: RAM was copied while the guest ran; cold: a stopped VM only changed hosts. */
  readonly mode: 'live' | 'cold';
  readonly totalMs: number;
  readonly downtimeMs?: number;
  readonly transferredBytes?: number;
  readonly mirroredDisks: number;
  readonly postcopy?: boolean;
}

/** What the migration service needs. */
export interface MigrationServiceDeps {
  readonly db: Db;
  readonly hostName: string;
  /** False on a single host: there is nowhere to migrate to. */
  readonly clustered: boolean;
  readonly vms: VmRepo;
  readonly volumeRows: VolumeRepo;
  readonly ops: OperationStore;
  readonly reconciler: VmReconciler;
  /** Runs `fn` holding VM `id`'s reconcile lock (no pass runs meanwhile). */
  readonly exclusive: <T>(id: string, fn: () => Promise<T>) => Promise<T>;
  readonly forwarder: Forwarder;
  readonly nics: NicService;
  readonly paths: DataPaths;
  /**
   * The cluster's CA certificate (PEM), when the hosts speak HTTPS: a destination that serves
   * its streams over TLS is checked against it. Without it, such a destination is refused.
   */
  readonly tlsCa?: string;
  readonly note: (e: EventInput) => Promise<unknown>;
  readonly log: Logger;
}

const mib = 1024 * 1024;

/** Moves VMs from this host to others. */
export class MigrationService {
  readonly #d: MigrationServiceDeps;

  constructor(deps: MigrationServiceDeps) {
    this.#d = deps;
  }

  /** Starts migrating VM `ref` (an id or name; it runs on this host) as an operation. */
  async start(ref: string, req: MigrateRequest): Promise<Operation> {
    // Migration is the cluster admins' business, across projects; VM names are unique in the installation.
    const row = await runUnscoped(() => this.#d.vms.find(ref));
    this.#check(row);
    const op = await this.#d.ops.create('vm.migrate', { type: 'vm', id: row.id, name: row.name }, { ...req }, req.to ? `migrating ${row.name} to ${req.to}` : `migrating ${row.name}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'vm.migrate', (progress) => this.move(row.id, req, progress));
    return op;
  }

  /**
   * Moves VM `vmId` off this host and resolves when it runs on the destination (or, stopped,
   * belongs to it). Rejects with the reason, the VM still here, if it cannot. `signal` cancels
   * it while that is still possible (before the switch-over).
   */
  async move(vmId: string, req: MigrateRequest, progress: Progress = () => undefined, signal?: AbortSignal): Promise<MoveResult> {
    return this.#d.exclusive(vmId, async () => {
      const row = await this.#d.vms.get(vmId);
      if (!row) throw new HerdError('not_found', { kind: 'vm', name: vmId });
      this.#check(row);
      const started = Date.now();
      const volumes = await this.#d.volumeRows.ofVm(row.id);
      const local = await this.#localVolumes(volumes);
      const to = await this.#claim(row, req.to);
      const inst = this.#d.reconciler.instance(row.id);
      if (!inst || (inst.status !== 'running' && inst.status !== 'paused')) return this.#coldMove(row, to, local, started);
      try {
        return await this.#liveMove(row, to, local, req, progress, signal, started);
      } catch (e) {
        await this.#d.db.updateTable('vms').set({ migrating_to: null }).where('id', '=', row.id).where('host', '=', this.#d.hostName).execute();
        throw e;
      }
    });
  }

  #check(row: VmRow): void {
    if (!this.#d.clustered) throw new HerdError('migration_refused', { name: row.name, reason: 'this installation has one host; run herd serve with --db postgres://… on several hosts to migrate between them' });
    if (row.host !== this.#d.hostName) throw new HerdError('vm_moved', { vm: row.name, host: row.host, here: this.#d.hostName, from: this.#d.hostName });
    if (row.deleting) throw new HerdError('migration_refused', { name: row.name, reason: 'it is being deleted' });
    if (row.migrating_to) throw new HerdError('migration_refused', { name: row.name, reason: `it is already migrating to ${row.migrating_to}` });
    if (row.state === 'starting' || row.state === 'stopping') throw new HerdError('migration_refused', { name: row.name, reason: `it is ${row.state}; try again once it is running or stopped` });
  }

  /** Volumes of the VM in pools only this host reaches (copied by mirroring). */
  async #localVolumes(volumes: readonly VolumeRow[]): Promise<VolumeRow[]> {
    if (volumes.length === 0) return [];
    const pools = await this.#d.db.selectFrom('pools').select(['id', 'shared']).where('id', 'in', [...new Set(volumes.map((v) => v.pool_id))]).execute();
    const shared = new Set(pools.filter((p) => p.shared).map((p) => p.id));
    return volumes.filter((v) => !shared.has(v.pool_id));
  }

  /**
   * Chooses the destination (the scheduler's pick, or `to` checked by its filters) and claims
   * it in one transaction: `migrating_to` counts against the destination from then on.
   */
  async #claim(row: VmRow, to: string | undefined): Promise<string> {
    if (to === this.#d.hostName) throw new HerdError('migration_refused', { name: row.name, reason: `it already runs on ${to}` });
    return this.#d.db.transaction().execute(async (trx) => {
      const chosen = await chooseHost(trx, row, { exclude: [this.#d.hostName], ...(to !== undefined && { pin: to }) });
      const r = await trx.updateTable('vms').set({ migrating_to: chosen }).where('id', '=', row.id).where('host', '=', this.#d.hostName).where('migrating_to', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new HerdError('migration_refused', { name: row.name, reason: 'it changed while the destination was chosen; try again' });
      return chosen;
    });
  }

  /** A stopped VM changes hosts in the database; its disks must be on shared pools. */
  async #coldMove(row: VmRow, to: string, local: readonly VolumeRow[], started: number): Promise<MoveResult> {
    try {
      if (local.length > 0) throw new HerdError('migration_refused', { name: row.name, reason: `it is stopped and its disks ${local.map((v) => v.name).join(', ')} are on pools of ${this.#d.hostName} only; start it to move it live, or put its disks on a shared pool` });
      await this.#switchOver(row, to);
    } catch (e) {
      await this.#d.db.updateTable('vms').set({ migrating_to: null }).where('id', '=', row.id).where('host', '=', this.#d.hostName).execute();
      throw e;
    }
    await this.#d.nics.afterStop(row.id).catch(() => undefined);
    this.#d.log.info({ vm: row.name, vmId: row.id, from: this.#d.hostName, to }, 'stopped VM moved to another host');
    return { from: this.#d.hostName, to, mode: 'cold', totalMs: Date.now() - started, mirroredDisks: 0 };
  }

  async #liveMove(row: VmRow, to: string, local: readonly VolumeRow[], req: MigrateRequest, progress: Progress, signal: AbortSignal | undefined, started: number): Promise<MoveResult> {
    const { forwarder, log } = this.#d;
    const me = this.#d.hostName;
    const inst = this.#d.reconciler.instance(row.id)!;
    const qmp = inst.qmp;
    const prepare: PrepareRequest = { from: me, accel: row.accel ?? 'tcg', localVolumes: local.map((v) => v.id), postcopy: req.postcopy ?? false };
    progress(1, `preparing ${to} to receive ${row.name}`);
    const prep = await forwarder.call(to, 'POST', `/api/v1/vms/${row.id}/actions/migrate-prepare`, prepare);
    if (prep.status !== 200) throw remoteError(prep.body, `${to} could not get ready for ${row.name}`);
    const answer = prep.body as PrepareAnswer;
    const jobs: string[] = [];
    let result: MigrationResult;
    let switched = false;
    const runDir = this.#d.paths.runDir(row.id);
    try {
      // The destination says whether its streams are TLS, and under which name its certificate is valid.
      let tls: { tlsCreds: string; tlsHostname: string } | undefined;
      if (answer.tls) {
        if (this.#d.tlsCa === undefined) throw new HerdError('migration_refused', { name: row.name, reason: `${to} serves the migration over TLS and ${me} has no cluster CA to check it with` });
        tls = { tlsCreds: await ensureMigrationTls(qmp, runDir, 'client', { caCert: this.#d.tlsCa }), tlsHostname: answer.tls.serverName };
      } else if (this.#d.tlsCa !== undefined) {
        log.warn({ vm: row.name, vmId: row.id, to }, 'the destination advertises plain http: the migration streams go unencrypted');
      }
      // Disks first: once a mirror is READY it keeps the copy in step with every guest write.
      const share = local.length > 0 ? 50 : 0;
      for (const [i, e] of (answer.nbd?.exports ?? []).entries()) {
        const jobId = `herd-mig-${i}`;
        const diskId = e.name;
        jobs.push(jobId);
        await mirrorToNbd(qmp, {
          node: await topNode(qmp, diskId),
          host: answer.nbd!.host,
          port: answer.nbd!.port,
          exportName: e.name,
          jobId,
          ...tls,
          ...(signal && { signal }),
          onProgress: (p) => progress(1 + Math.floor(((i + (p.total > 0 ? p.done / p.total : 0)) / local.length) * (share - 1)), `copying disk ${i + 1} of ${local.length} to ${to}`),
        });
      }
      const options: MigrationOptions = {
        downtimeLimitMs: req.downtimeLimitMs ?? DEFAULT_MIGRATION_OPTIONS.downtimeLimitMs,
        autoConverge: req.autoConverge ?? DEFAULT_MIGRATION_OPTIONS.autoConverge,
        postcopy: req.postcopy ?? false,
        maxBandwidthBytes: req.maxBandwidthMiBps !== undefined ? req.maxBandwidthMiBps * mib : DEFAULT_MIGRATION_OPTIONS.maxBandwidthBytes,
        ...tls,
      };
      await setMigrationOptions(qmp, options);
      log.info({ vm: row.name, vmId: row.id, to, localDisks: local.length, ...options }, 'live migration starts');
      result = await migrate(qmp, tcpUri(answer.migration), {
        ...(signal && { signal }),
        // Post-copy: once the source has stopped, the VM is the destination's and runs there
        // while its remaining memory follows on demand.
        ...(req.postcopy && {
          postcopyAfterPasses: 1,
          onPostcopy: async () => {
            await finishMirrors(qmp, jobs);
            await this.#switchOver(row, to);
            switched = true;
            const r = await forwarder.call(to, 'POST', `/api/v1/vms/${row.id}/actions/migrate-finish`, { outcome: 'postcopy' });
            if (r.status !== 200) throw remoteError(r.body, `${to} could not run ${row.name} in post-copy`);
          },
        }),
        onProgress: (p) => progress(share + Math.min(99 - share, Math.floor((p.totalBytes > 0 ? p.transferredBytes / p.totalBytes : 0) * (99 - share))), `copying memory to ${to}: pass ${p.dirtyPassCount}, ${Math.round(p.remainingBytes / mib)} MiB left`),
      });
      if (!switched) await finishMirrors(qmp, jobs);
    } catch (e) {
      await this.#dropTls(qmp, runDir);
      // After the switch to post-copy the guest's newest memory is on the destination only:
      // there is no going back, only reporting.
      if (switched) throw e instanceof HerdError ? e : new HerdError('migration_refused', { name: row.name, reason: `post-copy failed after ${to} took the VM over: ${e instanceof Error ? e.message : String(e)}` });
      await abortMirrors(qmp, jobs).catch(() => undefined);
      await forwarder.call(to, 'POST', `/api/v1/vms/${row.id}/actions/migrate-finish`, { outcome: 'abort' }).catch((err: unknown) => log.warn({ vmId: row.id, to, err: String(err) }, 'cannot tell the destination to drop its copy; it drops it when it next reconciles'));
      log.warn({ vm: row.name, vmId: row.id, to, err: e instanceof Error ? e.message : String(e) }, 'live migration failed; the VM runs on here');
      throw e instanceof HerdError ? e : new HerdError('migration_refused', { name: row.name, reason: `${e instanceof Error ? e.message : String(e)}; it runs on ${me} as before` });
    }
    await this.#dropTls(qmp, runDir);
    if (switched) {
      await this.#dropSource(row, local);
      progress(100, `${row.name} runs on ${to}`);
      log.info({ vm: row.name, vmId: row.id, from: me, to, totalMs: result.totalMs, downtimeMs: result.downtimeMs, postcopy: true }, 'live migration done');
      return { from: me, to, mode: 'live', totalMs: Date.now() - started, downtimeMs: result.downtimeMs, transferredBytes: result.transferredBytes, mirroredDisks: local.length, postcopy: true };
    }
    // The source is stopped for good now: the VM becomes the destination's, then runs there.
    await this.#switchOver(row, to);
    const finished = await forwarder.call(to, 'POST', `/api/v1/vms/${row.id}/actions/migrate-finish`, { outcome: 'commit' }).catch((e: unknown) => ({ status: 503, body: String(e) }));
    if (finished.status !== 204 && finished.status !== 200)
      log.error({ vm: row.name, vmId: row.id, to, answer: finished.body }, 'the destination did not confirm it runs the migrated VM; its reconciler resumes it when it attaches');
    await this.#dropSource(row, local);
    progress(100, `${row.name} runs on ${to}`);
    log.info({ vm: row.name, vmId: row.id, from: me, to, totalMs: result.totalMs, downtimeMs: result.downtimeMs, transferredMiB: Math.round(result.transferredBytes / mib) }, 'live migration done');
    return { from: me, to, mode: 'live', totalMs: Date.now() - started, downtimeMs: result.downtimeMs, transferredBytes: result.transferredBytes, mirroredDisks: local.length, postcopy: result.postcopy };
  }

  /** Removes the migration's TLS credentials from the source QEMU; a QEMU gone already has none. */
  async #dropTls(qmp: QmpClient, runDir: string): Promise<void> {
    await dropMigrationTls(qmp, runDir).catch((e: unknown) => this.#d.log.warn({ runDir, err: String(e) }, 'cannot remove the migration’s TLS credentials from the source QEMU'));
  }

  /** Makes `to` the VM's host (the one step that hands it over). */
  async #switchOver(row: VmRow, to: string): Promise<void> {
    const r = await this.#d.db.updateTable('vms').set({ host: to, migrating_to: null, updated_at: new Date().toISOString() }).where('id', '=', row.id).where('host', '=', this.#d.hostName).where('migrating_to', '=', to).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new HerdError('migration_refused', { name: row.name, reason: 'its record changed during the migration' });
    await this.#d.note({ type: 'vm.migrated', target: { type: 'vm', id: row.id, name: row.name }, message: `${row.name} moved from ${this.#d.hostName} to ${to}`, data: { from: this.#d.hostName, to } });
  }

  /** Ends the source's stopped QEMU and removes what it had here: runtime files, taps, local disk copies. */
  async #dropSource(row: VmRow, local: readonly VolumeRow[]): Promise<void> {
    const inst = this.#d.reconciler.release(row.id);
    if (inst && killQemuOf(inst.pid, row.id)) for (let i = 0; i < 100 && processState(inst.pid) === 'alive'; i++) await new Promise((r) => setTimeout(r, 20));
    await rm(this.#d.paths.runDir(row.id), { recursive: true, force: true });
    await this.#d.nics.afterStop(row.id).catch(() => undefined);
    for (const v of local) await rm(v.path, { force: true });
  }
}

/** A HerdError from another host's error body, or a plain one saying `what`. */
function remoteError(body: unknown, what: string): Error {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new HerdError('migration_refused', { name: '', reason: `${what}: ${e?.message ?? String(body)}` });
}
