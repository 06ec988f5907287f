/**
 * Unix socket paths for the API: a stale socket left by a daemon that died is removed, but a
 * socket another daemon still serves is never taken over (the data directory would then have
 * two daemons).
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';

/** The kernel's limit for a socket path (sun_path, without the final NUL). */
const maxSocketPath = 107;

/**
 * Makes `path` free for a new listener: creates its directory, removes a socket nobody answers
 * on, and throws when a server still answers there or `path` is something else than a socket.
 * Idempotent; call it right before listening.
 */
export async function claimSocketPath(path: string): Promise<void> {
  if (Buffer.byteLength(path) > maxSocketPath)
    throw new Error(`socket path ${path} is ${Buffer.byteLength(path)} bytes long, over the kernel's limit of ${maxSocketPath}; choose a shorter one`);
  await mkdir(dirname(path), { recursive: true });
  const found = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!found) return;
  if (!found.isSocket()) throw new Error(`${path} exists and is not a socket; move it away or choose another socket path`);
  if (await answers(path)) throw new Error(`a server already answers on ${path}: is another herd daemon running with this data directory? Stop it, or choose another socket path`);
  await rm(path, { force: true });
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
