/**
 * The persistent dirty bitmap incremental backups follow, kept in each qcow2 disk. It must go
 * before a snapshot revert (qcow2 refuses to revert a disk with active bitmaps, and after a
 * revert it no longer says what changed since the last backup: the next backup is full).
 */
import { run } from '../host/exec.js';

/** Name of the bitmap in every qcow2 disk of herd. */
export const backupBitmap = 'herd-backup';

/** Removes the backup bitmap from a qcow2 disk no QEMU has open; idempotent. */
export async function dropBackupBitmap(path: string): Promise<void> {
  await run('qemu-img', ['bitmap', '--remove', path, backupBitmap]).catch(() => undefined);
}

/** Replaces the backup bitmap of a qcow2 disk no QEMU has open with an empty one: "changed since now". */
export async function resetBackupBitmap(path: string): Promise<void> {
  await dropBackupBitmap(path);
  await run('qemu-img', ['bitmap', '--add', path, backupBitmap]);
}
