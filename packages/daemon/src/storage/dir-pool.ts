/**
 * A directory pool: qcow2 or raw files in a directory (local disk, NFS or any mounted shared
 * filesystem). Files are named from volume ids and made under a temporary name, then renamed,
 * so a crash never leaves a half-made file under a volume's name.
 */
import { existsSync } from 'node:fs';
import { access, chmod, constants, mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePassable } from '../confine/own-for-vm.js';
import { confining } from '../confine/vm-owner.js';
import { copyImage } from './copy-image.js';
import { createVolumeFile, imageInfo, resizeImage } from './qemu-img.js';
import type { CopySource, NewVolume, PoolDriver, PoolSpace } from './pool-driver.js';

/** A volume holds a guest's data: the daemon's alone until it is handed to its VM's QEMU (confine/own-for-vm.ts). */
const VOLUME_MODE = 0o600;

const herdFile = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-root)?\.(qcow2|raw)(\.tmp)?$/;

/** The driver of a `dir` pool rooted at `dir`. */
export class DirPool implements PoolDriver {
  readonly blockDriver = 'file' as const;
  readonly formats = ['qcow2', 'raw'] as const;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async check(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o750 });
    try {
      await access(this.#dir, constants.W_OK);
    } catch {
      throw new Error(`directory ${this.#dir} is not writable by the daemon`);
    }
    // Confined QEMUs open their volumes here by name (each file is its VM's alone).
    if (confining()) await ensurePassable(this.#dir);
  }

  async space(): Promise<PoolSpace> {
    const s = await statfs(this.#dir);
    const capacityBytes = s.blocks * s.bsize;
    const freeBytes = s.bavail * s.bsize;
    return { capacityBytes, freeBytes, usedBytes: capacityBytes - s.bfree * s.bsize };
  }

  async create(v: NewVolume): Promise<string> {
    const path = this.#path(v);
    if (existsSync(path)) return path;
    const tmp = `${path}.tmp`;
    await rm(tmp, { force: true });
    try {
      // herd's keys are 256 random bits: key stretching (LUKS's PBKDF, 2 s per open by default)
      // adds nothing against guessing them, and would slow every start and hot-plug.
      await createVolumeFile(tmp, v.format, v.sizeBytes, { ...(v.keyFile ? { keyFile: v.keyFile, luksIterTimeMs: 100 } : {}), ...(v.backing ? { backing: v.backing } : {}) });
      await chmod(tmp, VOLUME_MODE);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return path;
  }

  async copy(source: CopySource, v: NewVolume, onProgress?: (pct: number) => void): Promise<string> {
    const path = this.#path(v);
    const tmp = `${path}.tmp`;
    await rm(tmp, { force: true });
    try {
      await copyImage(source, { path: tmp, format: v.format, ...(v.keyFile ? { keyFile: v.keyFile } : {}) }, onProgress);
      if ((await imageInfo(tmp))['virtual-size'] < v.sizeBytes) await resizeImage(tmp, v.format, v.sizeBytes, v.keyFile ? { keyFile: v.keyFile } : {});
      await chmod(tmp, VOLUME_MODE);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return path;
  }

  async grow(path: string, format: 'qcow2' | 'raw', sizeBytes: number, keyFile?: string): Promise<void> {
    await resizeImage(path, format, sizeBytes, keyFile ? { keyFile } : {});
  }

  async usedBytes(path: string): Promise<number> {
    try {
      return (await stat(path)).blocks * 512;
    } catch {
      return 0;
    }
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
    await rm(`${path}.tmp`, { force: true });
  }

  async orphans(known: ReadonlySet<string>): Promise<string[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    return names.filter((n) => herdFile.test(n)).map((n) => join(this.#dir, n)).filter((p) => !known.has(p));
  }

  #path(v: NewVolume): string {
    return join(this.#dir, `${v.id}.${v.format}`);
  }
}
