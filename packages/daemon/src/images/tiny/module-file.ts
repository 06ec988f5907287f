/**
 * Reading a kernel module file as the plain ELF that busybox `insmod` can load. Distributions
 * may ship modules compressed (`.ko.xz`, `.ko.zst`, `.ko.gz`; Debian 12 ships plain `.ko`), and
 * busybox insmod passes the bytes straight to init_module(2), which only takes uncompressed ELF.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { run } from '../../host/exec.js';

/**
 * Returns the uncompressed contents of the module at `path`. `.gz` is inflated in-process;
 * `.xz` and `.zst` are decompressed by the `xz` and `zstd` programs into a scratch directory,
 * because {@link run} returns stdout as text and so cannot carry binary output.
 */
export async function readModuleUncompressed(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path);
  if (path.endsWith('.ko.gz')) return gunzipSync(await readFile(path));
  if (!path.endsWith('.ko.xz') && !path.endsWith('.ko.zst')) {
    throw new Error(`unsupported kernel module file ${path} (expected .ko, .ko.gz, .ko.xz or .ko.zst)`);
  }
  const scratch = await mkdtemp(join(tmpdir(), 'herd-module-'));
  try {
    const compressed = join(scratch, basename(path));
    const plain = compressed.replace(/\.(xz|zst)$/, '');
    await copyFile(path, compressed);
    // xz names its output by dropping ".xz"; zstd is told the same name.
    if (path.endsWith('.xz')) await run('xz', ['--decompress', '--quiet', '--force', '--', compressed]);
    else await run('zstd', ['--decompress', '--quiet', '--force', '-o', plain, '--', compressed]);
    return await readFile(plain);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
