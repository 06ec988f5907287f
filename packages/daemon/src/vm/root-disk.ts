/** A VM's root disk: a qcow2 overlay (linked clone) on its image, in the default pool. */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ImageRow } from '../store/schema.js';
import { createOverlay } from '../storage/qemu-img.js';

/** Creates the overlay at `path` unless it is already there. Idempotent. */
export async function ensureRootDisk(path: string, image: ImageRow, sizeBytes: number): Promise<void> {
  if (existsSync(path)) return;
  await mkdir(dirname(path), { recursive: true });
  // Made under a temporary name and renamed, so a crash never leaves a half-made disk at `path`.
  const tmp = `${path}.tmp`;
  await rm(tmp, { force: true });
  await createOverlay(tmp, image.disk_path, image.format, sizeBytes);
  await rename(tmp, path);
}

/** Removes the disk at `path` if present. Idempotent. */
export async function removeRootDisk(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.tmp`, { force: true });
}
