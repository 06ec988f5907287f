/**
 * The destination side of a live migration, asked for by the source host over the cluster API
 * (`migrate-prepare`, then `migrate-finish`). It launches the VM's QEMU here paused and waiting
 * for the incoming stream, with empty copies of the VM's host-local disks exported over NBD for
 * the source to mirror into; at the end it either runs the guest (the source has already
 * switched the VM's host to this one) or throws everything away. It keeps no QMP connection
 * between the two calls, so the reconciler can attach once the VM is this host's.
 */
import { rm } from 'node:fs/promises';
import { HerdError } from '@herd/api';
import { runUnscoped } from '../tenancy/request-scope.js';
import type { Logger } from 'pino';
import { QmpClient } from '../qemu/qmp-client.js';
import { DEFAULT_MIGRATION_OPTIONS, awaitIncoming, listenIncoming, setMigrationOptions } from '../qemu/qmp-migrate.js';
import { diskExport, nbdServe, nbdStop } from '../qemu/qmp-nbd-mirror.js';
import { EmptyReturnSchema } from '../qemu/qmp-messages.js';
import { qmpSocketPath } from '../qemu/launch-spec.js';
import type { DataPaths } from '../paths.js';
import type { VmReconciler } from '../reconcile/vm-reconciler.js';
import { createVolumeFile } from '../storage/qemu-img.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { VolumeService } from '../volumes/volume-service.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';
import { dropMigrationTls, ensureMigrationTls, hostServerPem } from './migration-tls.js';
import { freePort } from '../host/free-port.js';

/** What the source asks the destination to get ready for. */
export interface PrepareRequest {
  readonly from: string;
  /** The accelerator the guest runs with on the source: the destination must match it. */
  readonly accel: 'kvm' | 'tcg';
  /** Volume ids whose disks are in host-local pools: copied by mirroring, so made empty here. */
  readonly localVolumes: readonly string[];
  readonly postcopy: boolean;
}

/** Where the destination listens. */
export interface PrepareAnswer {
  readonly migration: { readonly host: string; readonly port: number };
  readonly nbd?: { readonly host: string; readonly port: number; readonly exports: readonly { readonly volumeId: string; readonly name: string }[] };
  /** Present when both streams are TLS: the source must check the certificate is valid for `serverName` (from the cluster CA). */
  readonly tls?: { readonly serverName: string };
}

/** What the destination needs. */
export interface MigrationTargetDeps {
  readonly hostName: string;
  /** The address other hosts reach this one on (its underlay IP): migration and NBD streams listen there. */
  readonly listenAddress: string;
  readonly vms: VmRepo;
  readonly volumeRows: VolumeRepo;
  readonly volumes: VolumeService;
  readonly reconciler: VmReconciler;
  readonly paths: DataPaths;
  readonly wake: (vmId: string) => void;
  /**
   * When the cluster speaks HTTPS (this host's `--advertise` is https): the streams are TLS too,
   * served with a certificate from DATA/tls (`dir`) for `serverName` (the advertised host).
   */
  readonly tls?: { readonly dir: string; readonly serverName: string };
  readonly log: Logger;
}

/** The destination of live migrations into this host. */
export class MigrationTarget {
  readonly #d: MigrationTargetDeps;
  /** Disk files made here for migrations in flight, by VM: removed if the migration is abandoned. */
  readonly #made = new Map<string, string[]>();

  constructor(deps: MigrationTargetDeps) {
    this.#d = deps;
  }

  /** Launches the incoming QEMU for VM `vmId` and says where to send it. */
  async prepare(ref: string, req: PrepareRequest): Promise<PrepareAnswer> {
    const { vms, reconciler, log } = this.#d;
    // Resolved to a record first: only a real VM's id ever names files here. Host-to-host calls
    // carry no project: VM names are unique in the installation.
    const row = await runUnscoped(() => vms.find(ref));
    const vmId = row.id;
    if (row.migrating_to !== this.#d.hostName || row.host !== req.from)
      throw new HerdError('migration_refused', { name: row.name, reason: `it is not being migrated from ${req.from} to ${this.#d.hostName}` });
    // A previous attempt that died half way may have left its QEMU: start clean.
    await this.#discard(vmId);
    const local = (await this.#d.volumeRows.ofVm(vmId)).filter((v) => req.localVolumes.includes(v.id));
    const made: string[] = [];
    this.#made.set(vmId, made);
    let qmp: QmpClient | undefined;
    try {
      for (const v of local) {
        if (v.encrypted) throw new HerdError('migration_refused', { name: row.name, reason: `volume ${v.name} is encrypted and its key is kept on ${req.from} only` });
        await createVolumeFile(v.path, v.format, v.size_bytes);
        made.push(v.path);
      }
      const { qmpSocket } = await reconciler.launchIncoming(row, req.accel);
      qmp = await QmpClient.connect(qmpSocket);
      const tls = this.#d.tls;
      const tlsCreds = tls && (await ensureMigrationTls(qmp, this.#d.paths.runDir(vmId), 'server', await hostServerPem(tls.dir, tls.serverName, log)));
      await setMigrationOptions(qmp, { ...DEFAULT_MIGRATION_OPTIONS, postcopy: req.postcopy, ...(tlsCreds && { tlsCreds }) });
      let nbd: PrepareAnswer['nbd'];
      if (local.length > 0) {
        const specs = await this.#d.volumes.diskSpecs(vmId);
        const exports = local.map((v) => {
          const disk = specs.find((d) => d.path === v.path);
          if (!disk) throw new Error(`volume ${v.name} is not among the disks of VM ${row.name}`);
          return { volumeId: v.id, ...diskExport(disk.id) };
        });
        const port = await freePort(this.#d.listenAddress);
        await nbdServe(qmp, { host: this.#d.listenAddress, port }, exports, tlsCreds ? { tlsCreds } : {});
        nbd = { host: this.#d.listenAddress, port, exports: exports.map((e) => ({ volumeId: e.volumeId, name: e.name })) };
      }
      const [addr] = await listenIncoming(qmp, `tcp:${this.#d.listenAddress}:0`);
      if (!addr) throw new Error('QEMU did not say where it listens for the migration');
      log.info({ vm: row.name, vmId, from: req.from, port: addr.port, localDisks: local.length, tls: tls !== undefined }, 'ready for incoming live migration');
      return { migration: { host: this.#d.listenAddress, port: addr.port }, ...(nbd && { nbd }), ...(tls && { tls: { serverName: tls.serverName } }) };
    } catch (e) {
      qmp?.close();
      qmp = undefined;
      await this.#discard(vmId);
      throw e;
    } finally {
      qmp?.close();
    }
  }

  /**
   * Ends the migration here: `commit` once the source has completed it and moved the VM's host to
   * this one (the guest runs from here on); `postcopy` once the source has switched to post-copy
   * and moved the VM's host (the guest runs here at once, pulling the rest of its memory);
   * `abort` when it failed (everything made here goes).
   */
  async finish(ref: string, outcome: 'commit' | 'postcopy' | 'abort'): Promise<void> {
    const row = await runUnscoped(() => this.#d.vms.find(ref));
    const vmId = row.id;
    if (outcome === 'abort') {
      if (row.host === this.#d.hostName) throw new HerdError('migration_refused', { name: row.name, reason: `it already runs on ${this.#d.hostName} and cannot be thrown away here` });
      await this.#discard(vmId);
      return;
    }
    if (row.host !== this.#d.hostName) throw new HerdError('migration_refused', { name: row.name, reason: `it has not been switched over to ${this.#d.hostName}` });
    // Once this host's reconciler has the VM, it runs here already (and holds its QMP socket).
    if (this.#d.reconciler.instance(vmId)) throw new HerdError('migration_refused', { name: row.name, reason: `it already runs on ${this.#d.hostName}; there is no incoming migration to finish` });
    const qmp = await QmpClient.connect(qmpSocketPath(this.#d.paths.runDir(vmId))).catch((e: unknown) => {
      throw new HerdError('migration_refused', { name: row.name, reason: `no incoming QEMU of it answers here (${e instanceof Error ? e.message : String(e)})` });
    });
    try {
      // In post-copy the guest must run here while its memory still arrives: no waiting for the end.
      if (outcome === 'commit') await awaitIncoming(qmp);
      await nbdStop(qmp);
      // The guest never runs beside this host's key (post-copy's connection keeps its own hold on it).
      await dropMigrationTls(qmp, this.#d.paths.runDir(vmId));
      await qmp.execute('cont', undefined, EmptyReturnSchema);
    } finally {
      qmp.close();
    }
    this.#made.delete(vmId);
    this.#d.log.info({ vm: row.name, vmId }, 'incoming live migration done: the guest runs here');
    // The reconciler attaches to the running QEMU through its pidfile.
    this.#d.wake(vmId);
  }

  async #discard(vmId: string): Promise<void> {
    await this.#d.reconciler.discardIncoming(vmId);
    for (const path of this.#made.get(vmId) ?? []) await rm(path, { force: true });
    this.#made.delete(vmId);
  }
}
