/**
 * An `lvm-thin` pool: raw volumes as thin LVs in an existing thin pool, as Proxmox's LvmThin
 * storage does. LV names derive from volume ids and carry herd's tag, so a crash leaves nothing
 * herd cannot find again. Volumes are raw block devices: no qcow2 layer, so no internal
 * snapshots and no qcow2 overlays; root disks are copies of their image.
 */
import { copyImage } from './copy-image.js';
import { probeLvmThin } from './lvm-probe.js';
import { createThinVolume, listHerdVolumes, lvNameForVolume, removeThinVolume, resizeThinVolume, thinPoolUsage, thinVolumePath } from './lvm-thin.js';
import type { CopySource, NewVolume, PoolDriver, PoolSpace } from './pool-driver.js';

/** The driver of an `lvm-thin` pool on `vg/thinPool`. */
export class LvmThinPool implements PoolDriver {
  readonly blockDriver = 'host_device' as const;
  readonly formats = ['raw'] as const;
  readonly #vg: string;
  readonly #pool: string;

  constructor(vg: string, thinPool: string) {
    this.#vg = vg;
    this.#pool = thinPool;
  }

  async check(): Promise<void> {
    const probe = await probeLvmThin();
    if (!probe.usable) throw new Error(probe.reason);
    await thinPoolUsage(this.#vg, this.#pool);
  }

  async space(): Promise<PoolSpace> {
    const u = await thinPoolUsage(this.#vg, this.#pool);
    return { capacityBytes: u.capacityBytes, usedBytes: u.usedBytes, freeBytes: u.capacityBytes - u.usedBytes };
  }

  async create(v: NewVolume): Promise<string> {
    if (v.format !== 'raw' || v.keyFile || v.backing) throw new Error('lvm-thin pools hold raw, unencrypted volumes without backing images');
    const lv = lvNameForVolume(v.id);
    if ((await listHerdVolumes(this.#vg, this.#pool)).some((x) => x.lvName === lv)) return thinVolumePath(this.#vg, lv);
    return createThinVolume(this.#vg, this.#pool, lv, v.sizeBytes);
  }

  async copy(source: CopySource, v: NewVolume, onProgress?: (pct: number) => void): Promise<string> {
    const path = await this.create({ id: v.id, format: 'raw', sizeBytes: v.sizeBytes });
    try {
      // qemu-img writes into the existing LV (raw target, -n: do not create it).
      await copyImage(source, { path, format: 'raw', existing: true }, onProgress);
    } catch (e) {
      await this.remove(path);
      throw e;
    }
    return path;
  }

  async grow(path: string, _format: 'qcow2' | 'raw', sizeBytes: number): Promise<void> {
    await resizeThinVolume(this.#vg, this.#lvOf(path), sizeBytes);
  }

  async growStorage(path: string, sizeBytes: number): Promise<void> {
    await resizeThinVolume(this.#vg, this.#lvOf(path), sizeBytes);
  }

  async usedBytes(path: string): Promise<number> {
    const lv = this.#lvOf(path);
    return (await listHerdVolumes(this.#vg, this.#pool).catch(() => [])).find((x) => x.lvName === lv)?.usedBytes ?? 0;
  }

  async remove(path: string): Promise<void> {
    await removeThinVolume(this.#vg, this.#lvOf(path));
  }

  async orphans(known: ReadonlySet<string>): Promise<string[]> {
    return (await listHerdVolumes(this.#vg, this.#pool)).map((x) => thinVolumePath(this.#vg, x.lvName)).filter((p) => !known.has(p));
  }

  #lvOf(path: string): string {
    return path.slice(path.lastIndexOf('/') + 1);
  }
}
