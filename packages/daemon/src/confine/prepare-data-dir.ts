/**
 * The directory modes of a confining daemon's data directory. QEMUs run as users of their own,
 * so they must pass through the directories that lead to their files, and must not list them
 * (which would show every VM's id and volume names) or change them.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DataPaths } from '../paths.js';
import { confining } from './vm-owner.js';

/** Passable, not listable, by anyone but the daemon. */
const PASS_ONLY = 0o711;

/**
 * Makes the data directory passable by QEMU users (o+x on its root, which keeps its other bits)
 * and sets the directories leading to VM files to 0711: run/ (each VM's runtime directory below
 * is 0700 and its QEMU's), logs/, keys/, images/, pools/ and the default pool, and tmp/ (where
 * a running VM's disks are copied by block jobs). Idempotent; call at daemon start, before any
 * VM starts. Does nothing when the daemon does not confine.
 */
export async function prepareDataDir(paths: DataPaths): Promise<void> {
  if (!confining()) return;
  await checkAncestorsPassable(paths.root);
  const root = await stat(paths.root);
  if ((root.mode & 0o001) === 0) await chmod(paths.root, (root.mode & 0o7777) | 0o001);
  const dirs = [paths.runRoot, paths.logRoot, join(paths.root, 'keys'), join(paths.root, 'images'), join(paths.root, 'pools'), paths.defaultPool, paths.tmp];
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true, mode: PASS_ONLY });
    // mkdir's mode does not apply to a directory that already existed.
    await chmod(dir, PASS_ONLY);
  }
}

/**
 * Throws when a directory above the data directory does not let others pass (o+x): every VM's
 * QEMU would then fail to open its disks. herd changes only its own directories; the fix for a
 * parent is the operator's call.
 */
async function checkAncestorsPassable(root: string): Promise<void> {
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode & 0o777;
    if ((mode & 0o001) === 0)
      throw new Error(
        `VMs run as users of their own and must pass through ${dir} to reach the data directory ${root}, but its mode is ${mode.toString(8).padStart(4, '0')}; run \`chmod o+x ${dir}\` or choose a --data-dir below directories others may pass`,
      );
    if (dir === dirname(dir)) return;
  }
}
