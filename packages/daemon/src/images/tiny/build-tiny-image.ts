/**
 * Builds herd's "tiny" guest: the host's own kernel, a busybox initramfs whose /init gives a
 * serial shell, and a small ext4 root disk. It boots to a shell in a few seconds even under TCG,
 * which makes it the guest for herd's integration tests and lifecycle benchmarks.
 */
import { copyFile, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildDataDisk } from './build-data-disk.js';
import { buildInitrd } from './build-initrd.js';
import { TINY_GUEST_CMDLINE } from './guest-cmdline.js';
import { extractPvhKernel } from './kernel-payload.js';
import { findNewestKernel } from './kernel-version.js';

/** The files of a built tiny image and how to boot them. */
export interface TinyImageFiles {
  /**
   * Absolute path of the kernel, for `-kernel`: `outDir/vmlinux`, the host kernel unpacked from
   * its bzImage (boots through PVH, ~3 s faster under TCG), or `outDir/vmlinuz`, a plain copy
   * of the bzImage, when it cannot be unpacked here.
   */
  kernel: string;
  /** Absolute path of the initramfs (`outDir/initrd.img`), for `-initrd`. */
  initrd: string;
  /** Absolute path of the qcow2 root disk (`outDir/disk.qcow2`); VMs use overlays on top of it. */
  disk: string;
  /** Default kernel command line, for `-append`. Add `herd.hostname=NAME` to set the hostname. */
  cmdline: string;
  /** Version of the kernel (and of the modules in the initrd), e.g. `6.1.0-56-amd64`. */
  kernelVersion: string;
}

/** Options for {@link buildTinyImage}. */
export interface BuildTinyImageOptions {
  /** Where to find `vmlinuz-*`; the newest is used. Default `/boot`. */
  bootDir?: string;
  /** Where to find `VERSION/modules.dep` and the modules. Default `/lib/modules`. */
  modulesRoot?: string;
  /** Called with a short message before each step. */
  onProgress?: (message: string) => void;
}

/** Path of the busybox-static binary on Debian hosts. */
const BUSYBOX_PATH = '/bin/busybox';

/**
 * Builds the tiny guest into outDir (created if missing; idempotent: rebuilds into temp names
 * then renames). Each output file is replaced atomically, so a VM booting from an older build
 * never sees a half-written file; a failed build leaves the previous files in place.
 * Not safe to run twice at once on the same outDir (the later rename wins, which is harmless).
 */
export async function buildTinyImage(outDir: string, options: BuildTinyImageOptions = {}): Promise<TinyImageFiles> {
  const progress = options.onProgress ?? (() => undefined);
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const kernel = await findNewestKernel(options.bootDir ?? '/boot');
  const modulesDir = join(options.modulesRoot ?? '/lib/modules', kernel.version);
  await stat(join(modulesDir, 'modules.dep')).catch(() => {
    throw new Error(`no modules for kernel ${kernel.version} in ${modulesDir}; install the matching linux-image package`);
  });

  // Scratch space lives inside outDir so the final renames never cross file systems.
  const scratch = await mkdtemp(join(dir, '.build-'));
  try {
    progress(`unpacking kernel ${kernel.version}`);
    await mkdir(join(scratch, 'kernel'));
    const vmlinux = await extractPvhKernel(kernel.path, join(scratch, 'kernel'));
    const kernelName = vmlinux === null ? 'vmlinuz' : 'vmlinux';
    if (vmlinux === null) {
      progress(`cannot unpack ${kernel.path} for a PVH boot; using the bzImage as is (slower to boot)`);
      await copyFile(kernel.path, join(scratch, 'vmlinuz'));
    } else {
      await rename(vmlinux, join(scratch, 'vmlinux'));
    }
    const files: TinyImageFiles = {
      kernel: join(dir, kernelName),
      initrd: join(dir, 'initrd.img'),
      disk: join(dir, 'disk.qcow2'),
      cmdline: TINY_GUEST_CMDLINE,
      kernelVersion: kernel.version,
    };
    progress('building initramfs');
    await writeFile(join(scratch, 'initrd.img'), await buildInitrd({ modulesDir, busyboxPath: BUSYBOX_PATH }));
    progress('building ext4 root disk');
    const diskScratch = join(scratch, 'disk');
    await mkdir(diskScratch);
    await buildDataDisk(join(scratch, 'disk.qcow2'), diskScratch);
    await rename(join(scratch, kernelName), files.kernel);
    // A previous build may have chosen the other kernel format; don't leave it to confuse.
    await rm(join(dir, kernelName === 'vmlinux' ? 'vmlinuz' : 'vmlinux'), { force: true });
    await rename(join(scratch, 'initrd.img'), files.initrd);
    await rename(join(scratch, 'disk.qcow2'), files.disk);
    progress(`tiny image ready in ${dir}`);
    return files;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
