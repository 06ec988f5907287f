/**
 * Whose files a VM's QEMU may open. A daemon running as root confines each VM's QEMU to a user
 * and group of its own (allocated by {@link RunUids}); a daemon running as another user runs
 * QEMU as itself, as before, and hands nothing over (it could not chown anyway).
 */
import type { RunAs } from '../qemu/launch-spec.js';

/** The user a VM's QEMU runs as: uid and gid are the VM's run_uid. */
export type VmOwner = RunAs;

/** Whether this daemon confines QEMU (it runs as root). May be called at any time. */
export function confining(): boolean {
  return process.getuid?.() === 0;
}

/**
 * The owner of `vm`'s QEMU, or undefined when QEMU runs as the daemon: not root, or no uid was
 * allocated yet (its QEMU, if any, was then started before confinement and runs as root). Read
 * the row under the VM's reconcile lock, so that it cannot start in between.
 */
export function ownerOf(vm: { readonly run_uid?: number | null } | undefined): VmOwner | undefined {
  const uid = vm?.run_uid;
  if (uid === undefined || uid === null || !confining()) return undefined;
  return { uid, gid: uid };
}
