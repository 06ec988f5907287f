/**
 * Volumes: virtual disks in pools. A volume is made, grown, attached and detached here; while
 * its VM runs, the change is made live over QMP first and recorded after, under the VM's
 * reconcile lock, so the record always says what the VM has after a restart.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { HerdError, formatSize, type Operation, type Volume, type VolumeAttach, type VolumeCreate, type VolumeResize } from '@herd/api';
import type { Logger } from 'pino';
import { disown, ownForVm, shareReadOnly } from '../confine/own-for-vm.js';
import { ownerOf, type VmOwner } from '../confine/vm-owner.js';
import type { ImageRepo } from '../images/image-repo.js';
import type { OperationStore } from '../operations/operation-store.js';
import { runOperation } from '../operations/run-operation.js';
import type { DataPaths } from '../paths.js';
import type { DiskSpec } from '../qemu/launch-spec.js';
import { hotplugDisk, resizeDisk, unplugDisk } from '../qemu/qmp-block.js';
import type { ImageRow, PoolRow, VmRow, VolumeRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { LiveVms } from './live-vms.js';
import type { PoolService } from '../pools/pool-service.js';
import { defaultPoolName } from '../pools/pool-service.js';
import { deviceId, diskSpecOf } from '../storage/volume-disk.js';
import { createKeyFile, removeKeyFile } from '../storage/volume-keys.js';
import type { VolumeRepo } from './volume-repo.js';

/** What the volume service needs. */
export interface VolumeServiceDeps {
  readonly volumes: VolumeRepo;
  readonly pools: PoolService;
  readonly vms: VmRepo;
  readonly images: ImageRepo;
  readonly ops: OperationStore;
  readonly paths: DataPaths;
  readonly live: LiveVms;
  readonly log: Logger;
}

/** How long a guest gets to release a hot-unplugged disk. */
const unplugTimeoutMs = 30_000;

/** Volume use cases, and the disks of VMs. */
export class VolumeService {
  readonly #d: VolumeServiceDeps;

  constructor(deps: VolumeServiceDeps) {
    this.#d = deps;
  }

  /** Volumes, optionally of one pool or VM. */
  async list(query: { pool?: string; vm?: string } = {}): Promise<Volume[]> {
    const poolId = query.pool ? (await this.#d.pools.find(query.pool)).id : undefined;
    const vmId = query.vm ? (await this.#d.vms.find(query.vm)).id : undefined;
    const rows = await this.#d.volumes.list({ ...(poolId ? { poolId } : {}), ...(vmId ? { vmId } : {}) });
    return Promise.all(rows.map((r) => this.toApi(r)));
  }

  /** One volume. */
  async get(ref: string): Promise<Volume> {
    return this.toApi(await this.#d.volumes.find(ref));
  }

  /** Makes an empty data volume, after checking the pool has room for it. */
  async create(body: VolumeCreate): Promise<Volume> {
    checkSectorMultiple(body.sizeBytes);
    const pool = await this.#d.pools.find(body.pool ?? defaultPoolName);
    const driver = this.#d.pools.driver(pool);
    const format = body.format ?? driver.formats[0] ?? 'qcow2';
    if (!driver.formats.includes(format))
      throw new HerdError('validation_failed', { field: 'format', reason: `${pool.type} pool '${pool.name}' holds ${driver.formats.join(' or ')} volumes, not ${format}` });
    if (body.encrypted && format !== 'qcow2')
      throw new HerdError('validation_failed', { field: 'encrypted', reason: 'encryption at rest needs the qcow2 format (LUKS inside qcow2)' });
    if (await this.#d.volumes.byName(body.name)) throw new HerdError('name_taken', { kind: 'volume', name: body.name, field: 'name' });
    await this.#d.pools.checkSpace(pool, body.sizeBytes);
    const row = await this.make(pool, { name: body.name, role: 'data', format, sizeBytes: body.sizeBytes, encrypted: body.encrypted === true });
    this.#d.log.info({ volume: row.name, pool: pool.name, bytes: row.size_bytes }, 'volume created');
    return this.toApi(row);
  }

  /**
   * Makes a volume's storage and then its record (an overlay of `backing` when given). On
   * failure nothing is left: no file, no key, no record.
   */
  async make(
    pool: PoolRow,
    v: { name: string; role: VolumeRow['role']; format: 'qcow2' | 'raw'; sizeBytes: number; encrypted: boolean; vmId?: string; image?: ImageRow; layer?: VolumeRow; id?: string },
  ): Promise<VolumeRow> {
    const id = v.id ?? randomUUID();
    const driver = this.#d.pools.driver(pool);
    const keyFile = this.#d.paths.volumeKey(id);
    let path: string | undefined;
    try {
      if (v.encrypted) await createKeyFile(keyFile);
      const backing = v.image ? { path: v.image.disk_path, format: v.image.format } : v.layer ? { path: v.layer.path, format: v.layer.format } : undefined;
      path = await driver.create({ id, format: v.format, sizeBytes: v.sizeBytes, ...(v.encrypted ? { keyFile } : {}), ...(backing ? { backing } : {}) });
      const now = nowIso();
      const row: VolumeRow = {
        id,
        name: v.name,
        pool_id: pool.id,
        format: v.format,
        size_bytes: v.sizeBytes,
        path,
        role: v.role,
        vm_id: v.vmId ?? null,
        attach_order: 0,
        image_id: v.image?.id ?? null,
        layer_id: v.layer?.id ?? null,
        encrypted: v.encrypted ? 1 : 0,
        created_at: now,
        updated_at: now,
      };
      await this.#d.volumes.insert(row, v.role === 'layer');
      return row;
    } catch (e) {
      if (path) await driver.remove(path);
      if (v.encrypted) await removeKeyFile(keyFile);
      throw e;
    }
  }

  /** Deletes a volume no VM uses. */
  async delete(ref: string): Promise<Volume> {
    const row = await this.#d.volumes.find(ref);
    if (row.vm_id) {
      const vm = await this.#d.vms.get(row.vm_id);
      throw new HerdError('volume_in_use', {
        name: row.name,
        reason: `${row.role === 'root' ? 'the root disk of' : 'attached to'} VM '${vm?.name ?? row.vm_id}'`,
        hint: row.role === 'root' ? 'it goes when the VM is deleted' : `detach it first: herd volume detach ${row.name}`,
      });
    }
    const users = await this.#d.volumes.dependents({ layerId: row.id });
    if (users.length) throw new HerdError('volume_in_use', { name: row.name, reason: `the base of ${users.length} linked clone(s)`, hint: 'delete those first' });
    const api = await this.toApi(row);
    await this.destroy(row);
    return api;
  }

  /** Removes a volume's storage, key and record, then any base layer no one uses any more. Idempotent. */
  async destroy(row: VolumeRow): Promise<void> {
    const pool = await this.#d.pools.row(row.pool_id);
    await this.#d.pools.driver(pool).remove(row.path);
    await removeKeyFile(this.#d.paths.volumeKey(row.id));
    await this.#d.volumes.remove(row, row.role === 'layer');
    if (row.layer_id) {
      const layer = await this.#d.volumes.get(row.layer_id);
      if (layer && (await this.#d.volumes.dependents({ layerId: layer.id })).length === 0) await this.destroy(layer);
    }
  }

  /** Grows a volume; live through QMP when its VM runs. Volumes never shrink. */
  async resize(ref: string, body: VolumeResize): Promise<Volume> {
    checkSectorMultiple(body.sizeBytes);
    const row = await this.#d.volumes.find(ref);
    const current = Number(row.size_bytes);
    if (body.sizeBytes < current) throw new HerdError('shrink_refused', { name: row.name, current: formatSize(current), requested: formatSize(body.sizeBytes) });
    if (body.sizeBytes === current) return this.toApi(row);
    const pool = await this.#d.pools.row(row.pool_id);
    await this.#d.pools.checkSpace(pool, body.sizeBytes - current);
    const driver = this.#d.pools.driver(pool);
    const grow = async (qmp: Parameters<Parameters<LiveVms['exclusive']>[1]>[0]) => {
      const keyFile = row.encrypted ? this.#d.paths.volumeKey(row.id) : undefined;
      if (qmp) {
        await driver.growStorage?.(row.path, body.sizeBytes);
        await resizeDisk(qmp, deviceId(row), body.sizeBytes);
      } else await driver.grow(row.path, row.format, body.sizeBytes, keyFile);
    };
    await this.#d.volumes.growWithinQuota(row, body.sizeBytes);
    try {
      if (row.vm_id) await this.#d.live.exclusive(row.vm_id, grow);
      else await grow(undefined);
    } catch (e) {
      await this.#d.volumes.update(row.id, { size_bytes: current });
      throw e;
    }
    await this.#d.volumes.note(row, 'volume.resized', `volume ${row.name} grown from ${formatSize(current)} to ${formatSize(body.sizeBytes)}`, { from: current, to: body.sizeBytes });
    return this.get(row.id);
  }

  /** Attaches a volume to a VM: recorded in its spec, and hot-plugged if the VM runs. */
  async attach(ref: string, body: VolumeAttach): Promise<Operation> {
    const row = await this.#d.volumes.find(ref);
    const vm = await this.#d.vms.find(body.vm);
    if (vm.deleting) throw new HerdError('action_not_allowed', { action: 'attach a volume to', name: vm.name, state: 'being deleted' });
    if (row.vm_id) {
      const owner = await this.#d.vms.get(row.vm_id);
      throw new HerdError('volume_in_use', { name: row.name, reason: `attached to VM '${owner?.name ?? row.vm_id}'`, hint: `detach it first: herd volume detach ${row.name}` });
    }
    const order = await this.#d.volumes.nextAttachOrder(vm.id);
    await this.#d.volumes.update(row.id, { vm_id: vm.id, attach_order: order });
    const op = await this.#d.ops.create('volume.attach', { type: 'volume', id: row.id, name: row.name }, { vm: vm.id }, `attaching to ${vm.name}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'volume.attach', async () => {
      try {
        const live = await this.#d.live.exclusive(vm.id, async (qmp) => {
          if (!qmp) return false;
          // The running QEMU opens it: hand it over first (the owner is read under the lock).
          await this.#handOver(row, ownerOf(await this.#d.vms.get(vm.id)));
          await hotplugDisk(qmp, await this.#diskSpec({ ...row, vm_id: vm.id }));
          return true;
        });
        await this.#d.volumes.note(row, 'volume.attached', `volume ${row.name} attached to VM ${vm.name}${live ? ' (hot-plugged)' : ''}`, { vm: vm.name, live });
        return { volume: await this.get(row.id), live };
      } catch (e) {
        await this.#d.volumes.update(row.id, { vm_id: null, attach_order: 0 });
        throw e;
      }
    });
    return op;
  }

  /** Detaches a data volume from its VM: hot-unplugged if the VM runs (the guest must let go), then dropped from its spec. */
  async detach(ref: string): Promise<Operation> {
    const row = await this.#d.volumes.find(ref);
    if (!row.vm_id) throw new HerdError('validation_failed', { field: 'volume', reason: `volume '${row.name}' is not attached to any VM` });
    const vm = await this.#d.vms.get(row.vm_id);
    if (row.role === 'root')
      throw new HerdError('volume_in_use', { name: row.name, reason: `the root disk of VM '${vm?.name ?? row.vm_id}'`, hint: 'it cannot be detached; delete the VM instead' });
    const vmId = row.vm_id;
    const op = await this.#d.ops.create('volume.detach', { type: 'volume', id: row.id, name: row.name }, { vm: vmId }, `detaching from ${vm?.name ?? vmId}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'volume.detach', async () => {
      const live = await this.#d.live.exclusive(vmId, async (qmp) => {
        if (!qmp) return false;
        await unplugDisk(qmp, deviceId(row), { timeoutMs: unplugTimeoutMs });
        return true;
      });
      await this.#d.volumes.update(row.id, { vm_id: null, attach_order: 0 });
      await this.#takeBack(row);
      await this.#d.volumes.note(row, 'volume.detached', `volume ${row.name} detached from VM ${vm?.name ?? vmId}${live ? ' (hot-unplugged)' : ''}`, { vm: vm?.name ?? vmId, live });
      return { volume: await this.get(row.id), live };
    });
    return op;
  }

  /**
   * Hands VM `vmId`'s volumes and their key files to its QEMU's user `owner` (0600), and makes
   * the images and base layers under them readable by every VM and writable by none. Idempotent;
   * call before QEMU opens them (a start, a hot-plug). Does nothing without an owner.
   */
  async handOver(vmId: string, owner: VmOwner | undefined): Promise<void> {
    for (const v of await this.#d.volumes.ofVm(vmId)) await this.#handOver(v, owner);
  }

  async #handOver(v: VolumeRow, owner: VmOwner | undefined): Promise<void> {
    if (!owner) return;
    await ownForVm(v.path, owner);
    if (v.encrypted) await ownForVm(this.#d.paths.volumeKey(v.id), owner);
    for (let below = await this.#below(v); below; below = await this.#below(below)) await shareReadOnly(below.path);
  }

  /** What `v` is an overlay of: its base layer (a volume), or its image's disk; undefined for neither. */
  async #below(v: Pick<VolumeRow, 'layer_id' | 'image_id'>): Promise<(Pick<VolumeRow, 'layer_id' | 'image_id'> & { path: string }) | undefined> {
    if (v.layer_id) return this.#d.volumes.get(v.layer_id);
    const image = v.image_id ? await this.#d.images.get(v.image_id) : undefined;
    return image ? { path: image.disk_path, layer_id: null, image_id: null } : undefined;
  }

  /** Takes a volume no VM uses any more (and its key file) back from the QEMU user that had it. */
  async #takeBack(v: VolumeRow): Promise<void> {
    await disown(v.path);
    if (v.encrypted) await disown(this.#d.paths.volumeKey(v.id));
  }

  /** The disks QEMU is started with for VM `vmId`: the root disk, then data disks as attached. */
  async diskSpecs(vmId: string): Promise<DiskSpec[]> {
    const rows = await this.#d.volumes.ofVm(vmId);
    return Promise.all(rows.map((r) => this.#diskSpec(r)));
  }

  /**
   * Makes VM `vm`'s root disk: a copy-on-write overlay of its image in `pool` (dir pools), or a
   * flattened copy (pools without qcow2). Named `<vm>-root`.
   */
  async createRoot(vm: Pick<VmRow, 'id' | 'name'>, image: ImageRow, pool: PoolRow, sizeBytes: number): Promise<VolumeRow> {
    const driver = this.#d.pools.driver(pool);
    const name = rootVolumeName(vm.name);
    if (driver.formats.includes('qcow2')) return this.make(pool, { name, role: 'root', format: 'qcow2', sizeBytes, encrypted: false, vmId: vm.id, image });
    const id = randomUUID();
    const path = await driver.copy({ path: image.disk_path, format: image.format }, { id, format: 'raw', sizeBytes });
    const now = nowIso();
    const row: VolumeRow = { id, name, pool_id: pool.id, format: 'raw', size_bytes: sizeBytes, path, role: 'root', vm_id: vm.id, attach_order: 0, image_id: null, layer_id: null, encrypted: 0, created_at: now, updated_at: now };
    try {
      await this.#d.volumes.insert(row);
    } catch (e) {
      await driver.remove(path);
      throw e;
    }
    return row;
  }

  /**
   * Gives a VM created before volumes existed a root volume record for its disk file, or, for
   * a VM whose creation a crash cut short, makes the missing root disk. Idempotent.
   */
  async adoptRoot(vm: VmRow): Promise<void> {
    if ((await this.#d.volumes.ofVm(vm.id)).some((v) => v.role === 'root')) return;
    const pool = await this.#d.pools.find(defaultPoolName);
    const legacy = this.#d.paths.rootDisk(vm.id);
    const image = await this.#d.images.get(vm.image_id);
    if (existsSync(legacy)) {
      const now = nowIso();
      await this.#d.volumes.insert(
        { id: randomUUID(), name: rootVolumeName(vm.name), pool_id: pool.id, format: 'qcow2', size_bytes: Number(vm.disk_bytes), path: legacy, role: 'root', vm_id: vm.id, attach_order: 0, image_id: image?.id ?? null, layer_id: null, encrypted: 0, created_at: now, updated_at: now },
        true,
      );
    } else if (image) await this.createRoot(vm, image, pool, Number(vm.disk_bytes));
  }

  /** A VM is being deleted: its root disk goes, its data volumes are detached and kept. Idempotent. */
  async releaseVm(vmId: string): Promise<void> {
    for (const v of await this.#d.volumes.ofVm(vmId)) {
      if (v.role === 'root') await this.destroy(v);
      else {
        await this.#d.volumes.update(v.id, { vm_id: null, attach_order: 0 });
        await this.#takeBack(v);
        await this.#d.volumes.note(v, 'volume.detached', `volume ${v.name} detached: its VM was deleted`);
      }
    }
  }

  /**
   * Start-up repair: every VM gets its root volume (see adoptRoot), then files in pools that
   * herd made and no volume record names (a crash between making a file and recording it, or
   * between deleting a record and its file) are removed.
   */
  async repair(vms: readonly VmRow[]): Promise<string[]> {
    for (const vm of vms) await this.adoptRoot(vm).catch((e: unknown) => this.#d.log.warn({ vm: vm.name, err: String(e) }, 'cannot make the root volume of a VM'));
    const removed: string[] = [];
    for (const pool of await this.#d.pools.rows()) {
      const driver = this.#d.pools.driver(pool);
      const known = new Set((await this.#d.volumes.inPool(pool.id)).map((v) => v.path));
      for (const path of await driver.orphans(known).catch(() => [] as string[])) {
        await driver.remove(path);
        removed.push(path);
      }
    }
    if (removed.length) this.#d.log.warn({ removed }, 'removed disks no volume record names');
    return removed;
  }

  /** The API form of a volume. */
  async toApi(row: VolumeRow): Promise<Volume> {
    const pool = await this.#d.pools.row(row.pool_id);
    const vm = row.vm_id ? await this.#d.vms.get(row.vm_id) : undefined;
    const image = row.image_id ? await this.#d.images.get(row.image_id) : undefined;
    return {
      id: row.id,
      name: row.name,
      pool: pool.name,
      format: row.format,
      sizeBytes: Number(row.size_bytes),
      usedBytes: await this.#d.pools.driver(pool).usedBytes(row.path),
      role: row.role === 'root' ? 'root' : 'data',
      vm: vm?.name ?? null,
      image: image?.name ?? null,
      encrypted: row.encrypted === 1,
      createdAt: row.created_at,
    };
  }

  async #diskSpec(row: VolumeRow): Promise<DiskSpec> {
    const pool = await this.#d.pools.row(row.pool_id);
    return diskSpecOf(row, this.#d.pools.driver(pool), this.#d.paths.volumeKey(row.id));
  }
}

function checkSectorMultiple(bytes: number): void {
  if (bytes % 512 !== 0) throw new HerdError('validation_failed', { field: 'sizeBytes', reason: `${bytes} is not a multiple of 512 bytes (disks are made of 512-byte sectors); use a size such as 10G or 512M` });
}

/** The name of a VM's root volume. */
export function rootVolumeName(vmName: string): string {
  return `${vmName}-root`.slice(0, 63);
}
