/**
 * Passphrases of encrypted volumes: one random key file per volume under the data directory's
 * keys/ (0711: passable, not listable), each 0600 and read only by the daemon and the QEMU of the
 * VM using the volume, which it is handed to (confine/own-for-vm.ts). QEMU and qemu-img get them
 * as `secret` objects with `file=`, so a key is never on a command line or in a log.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

// Confined QEMUs pass through to their own key files; no one but the daemon lists them.
const KEYS_DIR_MODE = 0o711;

/** Writes a new random key file at `path` (fails if one is there: keys are never replaced). */
export async function createKeyFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: KEYS_DIR_MODE });
  await chmod(dirname(path), KEYS_DIR_MODE);
  await writeFile(path, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
}

/** Copies a key for a clone: the same passphrase, under the clone's own file. */
export async function copyKeyFile(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true, mode: KEYS_DIR_MODE });
  await writeFile(to, await readFile(from), { mode: 0o600, flag: 'wx' });
}

/** Removes a key file; idempotent. */
export async function removeKeyFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
