/**
 * Clones of VMs and images made from VMs. A linked clone shares its source's data: each disk of
 * the source is frozen into a base layer (see freeze-layer.ts) and both VMs continue on
 * copy-on-write overlays of it, O(1) in disk size, even while the source runs. A full clone
 * copies every disk, flattened; a running source is copied at one instant by block jobs.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HerdError, type ImageFromVm, type Operation, type VmClone } from '@herd/api';
import type { Logger } from 'pino';
import type { ImageRepo } from '../images/image-repo.js';
import { toApiImage } from '../images/to-api-image.js';
import type { OperationStore } from '../operations/operation-store.js';
import { runOperation, type Progress } from '../operations/run-operation.js';
import type { DataPaths } from '../paths.js';
import { backupDisks } from '../qemu/qmp-backup.js';
import { percent } from '../qemu/qmp-jobs.js';
import type { QmpClient } from '../qemu/qmp-client.js';
import { copyImage } from '../storage/copy-image.js';
import { ownForVm } from '../confine/own-for-vm.js';
import { ownerOf } from '../confine/vm-owner.js';
import { freezeIntoLayers } from '../storage/freeze-layer.js';
import type { LiveVms } from '../volumes/live-vms.js';
import type { PoolService } from '../pools/pool-service.js';
import { imageInfo } from '../storage/qemu-img.js';
import { deviceId } from '../storage/volume-disk.js';
import { copyKeyFile } from '../storage/volume-keys.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';
import { rootVolumeName, type VolumeService } from '../volumes/volume-service.js';
import type { SnapshotRepo } from '../snapshots/snapshot-repo.js';
import type { ImageRow, PoolRow, VmRow, VolumeRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { NicRepo } from '../networks/nic-repo.js';
import type { NicService } from '../networks/nic-service.js';
import type { NewVmPlacement, PlacementService } from '../cluster/placement-service.js';

/** What the clone service needs. */
export interface CloneServiceDeps {
  readonly vms: VmRepo;
  readonly images: ImageRepo;
  readonly volumes: VolumeRepo;
  readonly volumeService: VolumeService;
  readonly pools: PoolService;
  readonly snapshots: SnapshotRepo;
  readonly ops: OperationStore;
  readonly paths: DataPaths;
  readonly live: LiveVms;
  readonly wake: (vmId: string) => void;
  readonly log: Logger;
  readonly nics: NicService;
  readonly nicRows: NicRepo;
  readonly placement: PlacementService;
}

/** Clone and template use cases. */
export class CloneService {
  readonly #d: CloneServiceDeps;

  constructor(deps: CloneServiceDeps) {
    this.#d = deps;
  }

  /** Clones VM `ref` into a new VM (new uuid, same spec, its own disks). */
  async clone(ref: string, body: VmClone): Promise<Operation> {
    const src = await this.#d.vms.find(ref);
    if (src.deleting) throw new HerdError('action_not_allowed', { action: 'clone', name: src.name, state: 'being deleted' });
    if (src.state === 'starting' || src.state === 'stopping')
      throw new HerdError('action_not_allowed', { action: 'clone', name: src.name, state: src.state, allowed: 'wait until it is running or stopped' });
    if (await this.#d.vms.find(body.name).catch(() => undefined)) throw new HerdError('name_taken', { kind: 'VM', name: body.name, field: 'name' });
    const mode = body.mode ?? 'linked';
    const disks = await this.#d.volumes.ofVm(src.id);
    const target = body.pool ? await this.#d.pools.find(body.pool) : undefined;
    if (mode === 'linked') {
      if (target) throw new HerdError('validation_failed', { field: 'pool', reason: 'a linked clone lives beside its base layer, in the pools of the source; give pool only for full clones' });
      for (const d of disks) {
        const pool = await this.#d.pools.row(d.pool_id);
        if (d.format !== 'qcow2' || pool.type !== 'dir' || d.encrypted)
          throw new HerdError('validation_failed', { field: 'mode', reason: `volume ${d.name} is ${d.encrypted ? 'encrypted' : `${d.format} in a ${pool.type} pool`}; linked clones need unencrypted qcow2 volumes in dir pools; make a full clone` });
      }
      if ((await this.#d.snapshots.ofVm(src.id)).length)
        throw new HerdError('validation_failed', { field: 'mode', reason: `VM '${src.name}' has snapshots, which stay with its own disks; make a full clone, or delete the snapshots first` });
    }
    const names = disks.map((d, i) => (d.role === 'root' ? rootVolumeName(body.name) : `${body.name}-disk${i}`));
    for (const n of names) if (await this.#d.volumes.byName(n)) throw new HerdError('name_taken', { kind: 'volume', name: n, field: 'name' });
    if (mode === 'full') for (const d of disks) await this.#d.pools.checkSpace(target ?? (await this.#d.pools.row(d.pool_id)), Number(d.size_bytes));

    const clone: VmRow = {
      ...src,
      id: randomUUID(),
      name: body.name,
      // Its QEMU gets a user of its own at its first start, never the source's.
      run_uid: null,
      // Running once its disks exist (below): its host must not start it before.
      desired_state: 'stopped',
      state: 'stopped',
      accel: null,
      pid: null,
      reason: `cloned from ${src.name} (${mode})`,
      last_error: null,
      started_at: null,
      stop_deadline: null,
      restart_generation: 0,
      boot_generation: 0,
      restart_times: '[]',
      next_restart_at: null,
      health: 'none',
      // Host ports are one VM's alone: the clone gets none, and so no TCP health check through them.
      port_forwards: '[]',
      health_check: src.health_check && (JSON.parse(src.health_check) as { type: string }).type === 'tcp' ? null : src.health_check,
      current_snapshot_id: null,
      resume_snapshot: null,
      migrating_to: null,
      state_changed_at: nowIso(),
      created_at: nowIso(),
      updated_at: nowIso(),
    };
    const srcNics = await this.#d.nicRows.ofVm(src.id);
    const where = await this.#placementOf(src, disks, mode, target, srcNics.map((n) => n.network_id));
    // Fail now rather than inside the operation; the insert places it for good.
    await this.#d.placement.check(clone, where);
    const op = await this.#d.ops.create('vm.clone', { type: 'vm', id: clone.id, name: clone.name }, { source: src.id, mode }, `cloning ${src.name} (${mode})`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'vm.clone', async (progress) => {
      const placed = await this.#d.vms.insert(clone, this.#d.placement.placer(where));
      const made: VolumeRow[] = [];
      try {
        // The clone's NICs: on the same networks, in the same groups, with new MACs and addresses.
        await this.#d.nics.createFor(placed, srcNics.map((n) => ({ network: n.network_id, securityGroups: JSON.parse(n.security_groups) as string[] })));
        await this.#d.live.exclusive(src.id, async (qmp) => {
          if (mode === 'linked') made.push(...(await this.#linked(src, disks, names, clone, qmp)));
          else made.push(...(await this.#full(src, disks, names, clone, target, qmp, progress)));
        });
      } catch (e) {
        for (const v of made) await this.#d.volumeService.destroy(v);
        await this.#d.nics.releaseVm(clone.id);
        await this.#d.vms.remove(clone.id);
        throw e;
      }
      this.#d.log.info({ vm: clone.name, vmId: clone.id, source: src.name, mode }, 'VM cloned');
      if (body.start) {
        await this.#d.vms.setIntent(clone.id, { desired_state: 'running' });
        this.#d.wake(clone.id);
      }
      return { vm: { id: clone.id, name: clone.name }, mode, disks: made.map((v) => v.name) };
    });
    return op;
  }

  /**
   * Where a clone may go. A linked clone's disks are overlays of base layers beside its source's
   * disks, so it stays on the source's host; so does a full clone into a pool only that host
   * reaches, since the daemon serving the clone, the source's host, writes the copies. A full
   * clone into a shared pool goes wherever the scheduler puts it among the hosts reaching it.
   */
  async #placementOf(src: VmRow, disks: readonly VolumeRow[], mode: 'linked' | 'full', target: PoolRow | undefined, networks: readonly string[]): Promise<NewVmPlacement> {
    const root = disks.find((d) => d.role === 'root');
    const pool = target ?? (root ? await this.#d.pools.row(root.pool_id) : undefined);
    const pinned = mode === 'linked' || !pool?.shared;
    return { networks, ...(pool && { pool: pool.name }), ...(pinned && { pin: src.host }) };
  }

  async #linked(src: VmRow, disks: VolumeRow[], names: string[], clone: VmRow, qmp: QmpClient | undefined): Promise<VolumeRow[]> {
    const layers: VolumeRow[] = [];
    for (const d of disks) {
      const pool = await this.#d.pools.row(d.pool_id);
      const id = randomUUID();
      layers.push({ ...d, id, name: `layer-${id}`, role: 'layer', vm_id: null, attach_order: 0, path: join(pool.path ?? '', `${id}.qcow2`), created_at: nowIso(), updated_at: nowIso() });
    }
    await freezeIntoLayers(
      disks.map((d, i) => ({ deviceId: deviceId(d), path: d.path, layerPath: layers[i]!.path, sizeBytes: Number(d.size_bytes) })),
      qmp,
      // Read under the source's lock (clone() runs this inside it): the user its QEMU runs as now.
      ownerOf(await this.#d.vms.get(src.id)),
    );
    // The files moved; now the records follow: each source volume sits on its new layer.
    for (const [i, d] of disks.entries()) {
      await this.#d.volumes.insert(layers[i]!, true);
      await this.#d.volumes.update(d.id, { layer_id: layers[i]!.id, image_id: null });
    }
    await this.#d.vms.note(src, 'vm.layers_frozen', `VM ${src.name}: disks frozen into base layers for a linked clone`, { clone: clone.name });
    const made: VolumeRow[] = [];
    for (const [i, d] of disks.entries()) {
      const pool = await this.#d.pools.row(d.pool_id);
      made.push(
        await this.#d.volumeService.make(pool, {
          name: names[i]!,
          role: d.role === 'root' ? 'root' : 'data',
          format: 'qcow2',
          sizeBytes: Number(d.size_bytes),
          encrypted: false,
          vmId: clone.id,
          layer: layers[i]!,
        }),
      );
      await this.#d.volumes.update(made[i]!.id, { attach_order: d.attach_order });
    }
    return made;
  }

  async #full(src: VmRow, disks: VolumeRow[], names: string[], clone: VmRow, target: PoolRow | undefined, qmp: QmpClient | undefined, progress: Progress): Promise<VolumeRow[]> {
    // A running source is first copied at one instant into scratch files by block jobs; those
    // are then copied into the target pools like the disks of a stopped VM.
    const scratch = join(this.#d.paths.tmp, `clone-${clone.id}`);
    const sources = disks.map((d, i) => ({ path: qmp ? join(scratch, `disk${i}.qcow2`) : d.path, format: qmp ? ('qcow2' as const) : d.format, keyFile: d.encrypted && !qmp ? this.#d.paths.volumeKey(d.id) : undefined }));
    const made: VolumeRow[] = [];
    try {
      if (qmp) {
        await mkdir(scratch, { recursive: true });
        // Read under the source's lock: the user its QEMU, which writes the copies, runs as now.
        const owner = ownerOf(await this.#d.vms.get(src.id));
        await backupDisks(qmp, {
          beforeOpen: (path) => ownForVm(path, owner),
          disks: disks.map((d, i) => ({ diskId: deviceId(d), targetPath: sources[i]!.path, sync: 'full' as const })),
          onProgress: (p) => progress(percent(p) / 2, 'copying the running disks'),
          timeoutMs: 6 * 3_600_000,
        });
      }
      for (const [i, d] of disks.entries()) {
        const pool = target ?? (await this.#d.pools.row(d.pool_id));
        const driver = this.#d.pools.driver(pool);
        const format = driver.formats.includes(d.format) ? d.format : driver.formats[0]!;
        const id = randomUUID();
        const keyFile = d.encrypted ? this.#d.paths.volumeKey(id) : undefined;
        if (d.encrypted) await copyKeyFile(this.#d.paths.volumeKey(d.id), keyFile!);
        const src = sources[i]!;
        const path = await driver.copy({ path: src.path, format: src.format, ...(src.keyFile ? { keyFile: src.keyFile } : {}) }, { id, format, sizeBytes: Number(d.size_bytes), ...(keyFile ? { keyFile } : {}) }, (pct) =>
          progress((qmp ? 50 : 0) + ((i + pct / 100) / disks.length) * (qmp ? 50 : 100), `copying ${d.name}`),
        );
        const row: VolumeRow = { ...d, id, name: names[i]!, pool_id: pool.id, format, path, vm_id: clone.id, image_id: null, layer_id: null, role: d.role === 'root' ? 'root' : 'data', created_at: nowIso(), updated_at: nowIso() };
        await this.#d.volumes.insert(row);
        made.push(row);
      }
      return made;
    } catch (e) {
      for (const v of made) await this.#d.volumeService.destroy(v);
      throw e;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Makes an image (a template) from a stopped VM's root disk: a flattened, immutable copy. */
  async imageFromVm(body: ImageFromVm): Promise<Operation> {
    const vm = await this.#d.vms.find(body.vm);
    if (vm.state !== 'stopped' && vm.state !== 'error')
      throw new HerdError('action_not_allowed', { action: 'make an image of', name: vm.name, state: vm.state, allowed: 'stop it first: an image is taken from a disk no one writes to' });
    if (await this.#d.images.findOptional(body.name)) throw new HerdError('name_taken', { kind: 'image', name: body.name, field: 'name' });
    const root = (await this.#d.volumes.ofVm(vm.id)).find((v) => v.role === 'root');
    if (!root) throw new HerdError('image_unusable', { name: vm.name, reason: 'the VM has no root disk' });
    const from = await this.#d.images.get(vm.image_id);
    const id = randomUUID();
    const op = await this.#d.ops.create('image.from-vm', { type: 'image', id, name: body.name }, { vm: vm.id }, `making image ${body.name} from ${vm.name}`);
    void runOperation(this.#d.ops, this.#d.log, op.id, 'image.from-vm', async (progress) => {
      const dir = this.#d.paths.imageDir(id);
      try {
        await mkdir(dir, { recursive: true });
        const disk = join(dir, 'disk.qcow2');
        await copyImage({ path: root.path, format: root.format, ...(root.encrypted ? { keyFile: this.#d.paths.volumeKey(root.id) } : {}) }, { path: disk, format: 'qcow2' }, (pct) => progress(pct * 0.95, 'copying the root disk'));
        const kernel = from?.kernel_path ? join(dir, 'vmlinux') : null;
        const initrd = from?.initrd_path ? join(dir, 'initrd') : null;
        if (kernel && from?.kernel_path) await copyFile(from.kernel_path, kernel);
        if (initrd && from?.initrd_path) await copyFile(from.initrd_path, initrd);
        const info = await imageInfo(disk);
        const row: ImageRow = {
          id,
          name: body.name,
          kind: from?.kind === 'kernel' ? 'kernel' : 'disk',
          format: 'qcow2',
          disk_path: disk,
          kernel_path: kernel,
          initrd_path: initrd,
          kernel_cmdline: from?.kernel_cmdline ?? null,
          min_memory_mib: from?.min_memory_mib ?? null,
          virtual_size: info['virtual-size'],
          actual_size: info['actual-size'] ?? 0,
          source: `vm:${vm.name}`,
          created_at: nowIso(),
        };
        await this.#d.images.insert(row);
        return { image: toApiImage(row, []) };
      } catch (e) {
        await rm(dir, { recursive: true, force: true });
        throw e;
      }
    });
    return op;
  }
}
