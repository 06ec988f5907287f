/**
 * Picking the guest kernel: the newest `vmlinuz-VERSION` in a boot directory. Versions are
 * compared piecewise (numbers as numbers) so that 6.10 sorts after 6.9 and 6.1.0-56 after 6.1.0-9,
 * which a plain string sort gets wrong.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The kernel image found by {@link findNewestKernel}. */
export interface KernelImage {
  /** Absolute path of the vmlinuz file. */
  readonly path: string;
  /** The version suffix of the file name, which is also the `/lib/modules` directory name. */
  readonly version: string;
}

/**
 * Compares two kernel version strings such as `6.1.0-56-amd64`. Runs of digits compare
 * numerically, everything else compares as text; returns <0, 0 or >0 like a sort comparator.
 */
export function compareKernelVersions(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (x !== y) {
      // A digit run sorts after a separator so that "6.1.10" > "6.1-rc".
      if (nx !== ny) return nx ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/**
 * Returns the newest `vmlinuz-*` in `bootDir`. Throws when there is none, with a hint on which
 * package provides one.
 */
export async function findNewestKernel(bootDir: string): Promise<KernelImage> {
  const names = await readdir(bootDir);
  const versions = names
    .filter((n) => n.startsWith('vmlinuz-'))
    .map((n) => n.slice('vmlinuz-'.length))
    .filter((v) => v !== '')
    .sort(compareKernelVersions);
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new Error(`no vmlinuz-* kernel in ${bootDir}; install one (Debian: apt-get install linux-image-amd64)`);
  }
  return { path: join(bootDir, `vmlinuz-${newest}`), version: newest };
}
