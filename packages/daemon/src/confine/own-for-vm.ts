/**
 * The file modes of confinement, in one place. A VM's own files (its volumes, their key files,
 * its console log) belong to its QEMU's user with mode 0600, so no other VM's QEMU can open
 * them; files several VMs read (images, kernels, base layers of linked clones) belong to the
 * daemon with mode 0644, so no VM can change them; the directories on the way can be passed
 * through but not listed. Each call is idempotent and cheap: call it every time before QEMU
 * opens the file (at start, and before a hot-plug or block job), since udev or a restore may
 * have put a file back as it was.
 */
import { chmod, chown, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { confining, type VmOwner } from './vm-owner.js';

/**
 * Hands `path` (a file, or a block device: symlinks are followed) to the QEMU of `owner`, mode
 * 0600, and makes its directory passable. Does nothing without an owner (QEMU runs as the daemon).
 */
export async function ownForVm(path: string, owner: VmOwner | undefined): Promise<void> {
  if (!owner) return;
  await chown(path, owner.uid, owner.gid);
  await chmod(path, 0o600);
  await ensurePassable(dirname(path));
}

/**
 * Takes `path` back from a VM (a volume detached, a VM deleted): owned by the daemon, mode 0600,
 * so the QEMU that had it can no longer open it. Does nothing when the daemon does not confine,
 * or `path` does not exist.
 */
export async function disown(path: string): Promise<void> {
  if (!confining()) return;
  try {
    await chown(path, process.getuid!(), process.getgid!());
    await chmod(path, 0o600);
  } catch (e) {
    // Gone (a block device of an inactive volume, a file removed): nothing to take back.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Makes `path` a file every VM's QEMU may read and none may write: owned by the daemon, mode
 * 0644, its directory passable. For images, kernels, initrds and base layers. Does nothing when
 * the daemon does not confine.
 */
export async function shareReadOnly(path: string): Promise<void> {
  if (!confining()) return;
  const s = await stat(path);
  if (s.uid !== process.getuid!() || s.gid !== process.getgid!()) await chown(path, process.getuid!(), process.getgid!());
  if ((s.mode & 0o777) !== 0o644) await chmod(path, 0o644);
  await ensurePassable(dirname(path));
}

/**
 * Lets others (QEMU users) pass through directory `dir` (o+x), leaving its other bits alone;
 * the directories herd makes for itself are set exactly by `prepareDataDir`.
 */
export async function ensurePassable(dir: string): Promise<void> {
  const s = await stat(dir);
  if ((s.mode & 0o001) === 0) await chmod(dir, (s.mode & 0o7777) | 0o001);
}
