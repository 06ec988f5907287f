/**
 * Backups: a VM (running or stopped) into a self-contained archive, a tar of its disks (qcow2,
 * flattened) and a manifest of its spec; and restores of such archives as new VMs. A running VM
 * is copied at one instant by block jobs (one transaction over all its disks). Incremental
 * backups copy only what changed since the last backup, tracked by a persistent dirty bitmap in
 * each qcow2 disk, which QEMU writes back into the image when it closes it, so it survives a VM
 * restart; when the bitmap cannot be trusted (QEMU crashed, disks changed) a full backup is
 * taken instead, and the result says so.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { HerdError, type Backup, type BackupCreate, type BackupRestore, type Operation } from '@herd/api';
import type { Logger } from 'pino';
import { run } from '../host/exec.js';
import type { ImageRepo } from '../images/image-repo.js';
import type { OperationStore } from '../operations/operation-store.js';
import { runOperation } from '../operations/run-operation.js';
import type { DataPaths } from '../paths.js';
import { ensurePassable, ownForVm } from '../confine/own-for-vm.js';
import { ownerOf } from '../confine/vm-owner.js';
import { backupDisks, bitmapState } from '../qemu/qmp-backup.js';
import { backupBitmap, resetBackupBitmap } from '../storage/bitmaps.js';
import { copyImage } from '../storage/copy-image.js';
import type { LiveVms } from '../volumes/live-vms.js';
import { defaultPoolName, type PoolService } from '../pools/pool-service.js';
import { rebaseUnsafe } from '../storage/qemu-img.js';
import { deviceId } from '../storage/volume-disk.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';
import { rootVolumeName, type VolumeService } from '../volumes/volume-service.js';
import type { BackupRow, VmRow, VolumeRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { newVmRow } from '../vm/new-vm-row.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { NetworkRepo } from '../networks/network-repo.js';
import type { NicRepo } from '../networks/nic-repo.js';
import type { NicService } from '../networks/nic-service.js';
import type { NewVmPlacement, PlacementService } from '../cluster/placement-service.js';
import { manifestFormat, parseManifest, type Manifest } from './backup-manifest.js';
import { percent } from '../qemu/qmp-jobs.js';
import type { BackupRepo } from './backup-repo.js';

const bitmapName = backupBitmap;
const jobTimeoutMs = 6 * 3_600_000;

/** What the backup service needs. */
export interface BackupServiceDeps {
  readonly backups: BackupRepo;
  readonly vms: VmRepo;
  readonly images: ImageRepo;
  readonly volumes: VolumeRepo;
  readonly volumeService: VolumeService;
  readonly pools: PoolService;
  readonly ops: OperationStore;
  readonly paths: DataPaths;
  readonly live: LiveVms;
  readonly wake: (vmId: string) => void;
  readonly log: Logger;
  readonly nics: NicService;
  readonly nicRows: NicRepo;
  readonly networks: NetworkRepo;
  readonly placement: PlacementService;
  /** This host: where a restore into a pool of its own must go. */
  readonly hostName: string;
}

/** Backup and restore use cases. */
export class BackupService {
  readonly #d: BackupServiceDeps;

  constructor(deps: BackupServiceDeps) {
    this.#d = deps;
  }

  /** Backups, newest first. */
  async list(query: { vm?: string } = {}): Promise<Backup[]> {
    const vmId = query.vm ? ((await this.#d.vms.find(query.vm).catch(() => undefined))?.id ?? query.vm) : undefined;
    return (await this.#d.backups.list(vmId)).map(toApiBackup);
  }

  /** Deletes a backup archive that no incremental backup builds on. */
  async delete(ref: string): Promise<Backup> {
    const row = await this.#d.backups.find(ref);
    const children = await this.#d.backups.children(row.id);
    if (children.length)
      throw new HerdError('validation_failed', { field: 'id', reason: `incremental backup${children.length > 1 ? 's' : ''} ${children.map((c) => c.id).join(', ')} build${children.length > 1 ? '' : 's'} on it; delete ${children.length > 1 ? 'those' : 'that'} first` });
    await rm(row.path, { force: true });
    await this.#d.backups.remove(row);
    return toApiBackup(row);
  }

  /** Backs a VM up into an archive in `to` (default: the data directory's backups/). */
  async create(vmRef: string, body: BackupCreate): Promise<Operation> {
    const vm = await this.#d.vms.find(vmRef);
    if (vm.deleting) throw new HerdError('action_not_allowed', { action: 'back up', name: vm.name, state: 'being deleted' });
    if (vm.state === 'starting' || vm.state === 'stopping')
      throw new HerdError('action_not_allowed', { action: 'back up', name: vm.name, state: vm.state, allowed: 'wait until it is running or stopped' });
    const dir = body.to ?? this.#d.paths.backups;
    if (!isAbsolute(dir) || normalize(dir) !== dir.replace(/\/+$/, ''))
      throw new HerdError('validation_failed', { field: 'to', reason: 'give a normalized absolute directory (no "..")' });
    const disks = await this.#d.volumes.ofVm(vm.id);
    const encrypted = disks.filter((d) => d.encrypted);
    if (encrypted.length)
      throw new HerdError('validation_failed', { field: 'vm', reason: `volume ${encrypted.map((d) => d.name).join(', ')} is encrypted; herd does not write its data into an archive in the clear` });
    const image = await this.#d.images.get(vm.image_id);
    const id = randomUUID();
    const stamp = nowIso().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const archive = join(dir, `${vm.name}-${stamp}-${id.slice(0, 8)}.herd-backup.tar`);
    const op = await this.#d.ops.create('backup.create', { type: 'vm', id: vm.id, name: vm.name }, { archive }, `backing up ${vm.name}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'backup.create', async (progress) => {
      await mkdir(dir, { recursive: true });
      const work = join(dir, `.${id}.tmp`);
      await mkdir(work, { recursive: true });
      try {
        const files = disks.map((_, i) => join(work, `disk${i}.qcow2`));
        const parent = body.incremental ? await this.#incrementalBase(vm, disks) : undefined;
        const kind = await this.#d.live.exclusive(vm.id, async (qmp) => {
          if (qmp) {
            const usable = parent !== undefined && (await Promise.all(disks.map((d) => bitmapState(qmp, deviceId(d), bitmapName)))).every((s) => s.exists && s.usable);
            // QEMU writes the targets: as the VM's own user, it must be able to reach and open them.
            const owner = ownerOf(await this.#d.vms.get(vm.id));
            if (owner) await ensurePassable(dir);
            await backupDisks(qmp, {
              beforeOpen: (path) => ownForVm(path, owner),
              disks: disks.map((d, i) => ({
                diskId: deviceId(d),
                targetPath: files[i]!,
                sync: usable ? ('incremental' as const) : ('full' as const),
                ...(usable ? { bitmap: bitmapName } : {}),
              })),
              ...(usable ? {} : { newBitmap: bitmapName }),
              onProgress: (p) => progress(percent(p) * 0.9, 'copying disks'),
              timeoutMs: jobTimeoutMs,
            });
            return usable ? ('incremental' as const) : ('full' as const);
          }
          // A stopped VM: a plain copy, and a fresh bitmap in each qcow2 disk so the next
          // backup of the running VM can be incremental from here.
          for (const [i, d] of disks.entries()) {
            await copyImage({ path: d.path, format: d.format }, { path: files[i]!, format: 'qcow2' }, (pct) => progress(((i + pct / 100) / disks.length) * 90, `copying ${d.name}`));
            if (d.format === 'qcow2') await resetBackupBitmap(d.path);
          }
          return 'full' as const;
        });
        const manifest: Manifest = {
          format: manifestFormat,
          id,
          kind,
          parent: kind === 'incremental' && parent ? { id: parent.id, archive: basename(parent.path) } : null,
          createdAt: nowIso(),
          vm: {
            id: vm.id,
            name: vm.name,
            cpus: vm.cpus,
            memoryMiB: vm.memory_mib,
            diskBytes: Number(vm.disk_bytes),
            image: image?.name ?? vm.image_id,
            kernelCmdline: vm.kernel_cmdline,
            accel: vm.accel_pref,
            restartPolicy: vm.restart_policy,
            watchdog: vm.watchdog,
            display: vm.display,
          },
          nics: await Promise.all((await this.#d.nicRows.ofVm(vm.id)).map(async (n) => ({ network: (await this.#d.networks.get(n.network_id))?.name ?? n.network_id }))),
          disks: disks.map((d, i) => ({ file: `disk${i}.qcow2`, name: d.name, role: d.role === 'root' ? 'root' : 'data', format: d.format, sizeBytes: Number(d.size_bytes), device: deviceId(d) })),
        };
        await writeFile(join(work, 'backup.json'), JSON.stringify(manifest, null, 2));
        progress(92, 'writing the archive');
        await run('tar', ['-cf', `${archive}.tmp`, '-C', work, 'backup.json', ...manifest.disks.map((d) => d.file)], { timeoutMs: jobTimeoutMs });
        await run('mv', ['-f', '--', `${archive}.tmp`, archive]);
        const row: BackupRow = { id, vm_id: vm.id, vm_name: vm.name, path: archive, kind, parent_id: manifest.parent?.id ?? null, size_bytes: (await stat(archive)).size, created_at: manifest.createdAt };
        await this.#d.backups.insert(row);
        this.#d.log.info({ vm: vm.name, vmId: vm.id, archive, kind, bytes: row.size_bytes }, 'backup written');
        return { backup: toApiBackup(row), ...(body.incremental && kind === 'full' ? { note: 'no usable base for an incremental backup (first backup, disks changed, or QEMU did not close its images cleanly): a full backup was taken' } : {}) };
      } catch (e) {
        await rm(`${archive}.tmp`, { force: true });
        throw e;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
    return op;
  }

  /** Restores an archive (a path on this host, or a backup id) as a new VM. */
  async restore(body: BackupRestore): Promise<Operation> {
    const archive = isAbsolute(body.archive) ? body.archive : (await this.#d.backups.find(body.archive)).path;
    const invalid = (reason: string) => new HerdError('backup_invalid', { archive: body.archive, reason });
    if (normalize(archive) !== archive) throw invalid('give a normalized absolute path (no "..")');
    const chain = await this.#chain(archive, invalid);
    const top = chain[0]!.manifest;
    const name = body.name ?? top.vm.name;
    if (await this.#d.vms.find(name).catch(() => undefined)) throw new HerdError('name_taken', { kind: 'VM', name, field: 'name' });
    const image = await this.#d.images.findOptional(top.vm.image);
    if (!image) throw invalid(`the VM was made from image '${top.vm.image}', which does not exist here; import or build it first`);
    const names = top.disks.map((d, i) => (d.role === 'root' ? rootVolumeName(name) : `${name}-disk${i}`));
    for (const n of names) if (await this.#d.volumes.byName(n)) throw new HerdError('name_taken', { kind: 'volume', name: n, field: 'name' });
    const pool = await this.#d.pools.find(body.pool ?? defaultPoolName);
    await this.#d.pools.checkSpace(pool, top.disks.reduce((n, d) => n + d.sizeBytes, 0));
    const vm = newVmRow({
      name,
      // Until the placement in the insert chooses.
      host: this.#d.hostName,
      cpus: top.vm.cpus,
      memory_mib: top.vm.memoryMiB,
      disk_bytes: top.vm.diskBytes,
      image_id: image.id,
      kernel_cmdline: top.vm.kernelCmdline,
      accel_pref: top.vm.accel,
      restart_policy: top.vm.restartPolicy,
      watchdog: top.vm.watchdog,
      display: top.vm.display ?? 'none',
      // Running once its disks exist (below): its host must not start it before.
      desired_state: 'stopped',
      reason: `restored from ${basename(archive)}`,
    });
    // The archive is unpacked here and the disks written into the pool from here: into a pool
    // only this host reaches, the VM must stay here.
    const where: NewVmPlacement = { pool: pool.name, networks: (top.nics ?? []).map((n) => n.network), ...(!pool.shared && { pin: this.#d.hostName }) };
    await this.#d.placement.check(vm, where);
    const op = await this.#d.ops.create('backup.restore', { type: 'vm', id: vm.id, name }, { archive }, `restoring ${basename(archive)}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'backup.restore', async (progress) => {
      const work = join(this.#d.paths.tmp, `restore-${op.id}`);
      const made: VolumeRow[] = [];
      const skipped: string[] = [];
      let inserted = false;
      try {
        // Unpack the chain, oldest last, and hang each incremental disk on its base's copy.
        for (const [k, link] of chain.entries()) {
          const dir = join(work, String(k));
          await mkdir(dir, { recursive: true });
          await run('tar', ['-xf', link.path, '-C', dir], { timeoutMs: jobTimeoutMs });
        }
        for (let k = chain.length - 2; k >= 0; k--)
          for (const d of chain[k]!.manifest.disks) await rebaseUnsafe(join(work, String(k), d.file), join(work, String(k + 1), d.file), 'qcow2');
        await this.#d.vms.insert(vm, this.#d.placement.placer(where));
        inserted = true;
        for (const n of top.nics ?? []) {
          if (await this.#d.networks.find(n.network).catch(() => undefined)) await this.#d.nics.createFor(vm, [{ network: n.network }]);
          else skipped.push(n.network);
        }
        const driver = this.#d.pools.driver(pool);
        for (const [i, d] of top.disks.entries()) {
          const id = randomUUID();
          const format = driver.formats.includes(d.format) ? d.format : driver.formats[0]!;
          const path = await driver.copy({ path: join(work, '0', d.file), format: 'qcow2' }, { id, format, sizeBytes: d.sizeBytes }, (pct) =>
            progress(((i + pct / 100) / top.disks.length) * 100, `restoring ${d.name}`),
          );
          const now = nowIso();
          const row: VolumeRow = { id, name: names[i]!, pool_id: pool.id, format, size_bytes: d.sizeBytes, path, role: d.role, vm_id: vm.id, attach_order: i, image_id: null, layer_id: null, encrypted: 0, created_at: now, updated_at: now };
          await this.#d.volumes.insert(row);
          made.push(row);
        }
      } catch (e) {
        for (const v of made) await this.#d.volumeService.destroy(v);
        if (inserted) {
          await this.#d.nics.releaseVm(vm.id);
          await this.#d.vms.remove(vm.id);
        }
        throw e;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      this.#d.log.info({ vm: name, vmId: vm.id, archive }, 'backup restored');
      if (body.start) {
        await this.#d.vms.setIntent(vm.id, { desired_state: 'running' });
        this.#d.wake(vm.id);
      }
      return { vm: { id: vm.id, name }, archive, chain: chain.length, ...(skipped.length ? { note: `no NIC made on missing network${skipped.length > 1 ? 's' : ''} ${skipped.join(', ')}` } : {}) };
    });
    return op;
  }

  /** The archive and the archives it builds on, newest first, with their manifests. */
  async #chain(archive: string, invalid: (reason: string) => HerdError): Promise<{ path: string; manifest: Manifest }[]> {
    const chain: { path: string; manifest: Manifest }[] = [];
    let path: string | undefined = archive;
    while (path) {
      if (!existsSync(path)) throw invalid(chain.length ? `its base backup ${path} is missing` : 'no such file');
      let text: string;
      try {
        text = (await run('tar', ['-xOf', path, 'backup.json'], { timeoutMs: 60_000 })).stdout;
      } catch {
        throw invalid(`${path} is not a herd backup archive (no backup.json in a tar)`);
      }
      let manifest: Manifest;
      try {
        manifest = parseManifest(text);
      } catch (e) {
        throw invalid(e instanceof Error ? e.message : String(e));
      }
      chain.push({ path, manifest });
      if (chain.length > 1000) throw invalid('its chain of incremental backups loops');
      const parent: Manifest['parent'] = manifest.parent;
      path = parent ? ((await this.#d.backups.get(parent.id))?.path ?? join(dirname(path), parent.archive)) : undefined;
    }
    return chain;
  }

  /** The last backup of `vm` an incremental one can build on: its archive is there and covers the same disks. */
  async #incrementalBase(vm: VmRow, disks: VolumeRow[]): Promise<BackupRow | undefined> {
    const last = (await this.#d.backups.list(vm.id))[0];
    if (!last || !existsSync(last.path)) return undefined;
    try {
      const manifest = parseManifest((await run('tar', ['-xOf', last.path, 'backup.json'], { timeoutMs: 60_000 })).stdout);
      const same = manifest.disks.length === disks.length && manifest.disks.every((d, i) => d.device === deviceId(disks[i]!));
      return same ? last : undefined;
    } catch {
      return undefined;
    }
  }
}

function toApiBackup(r: BackupRow): Backup {
  return { id: r.id, vm: r.vm_name, vmId: r.vm_id, path: r.path, kind: r.kind, parent: r.parent_id, sizeBytes: Number(r.size_bytes), createdAt: r.created_at };
}
