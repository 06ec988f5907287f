import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../host/exec.js';
import { readModuleUncompressed } from './module-file.js';

describe('readModuleUncompressed', () => {
  let dir: string;
  // Not a real module: the reader only undoes the compression, it does not parse ELF.
  const content = Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(4096, 7)]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-module-test-'));
    await writeFile(join(dir, 'plain.ko'), content);
    await writeFile(join(dir, 'gz.ko.gz'), gzipSync(content));
    await writeFile(join(dir, 'xz.ko'), content);
    await run('xz', ['--keep', join(dir, 'xz.ko')]);
    await writeFile(join(dir, 'zst.ko'), content);
    await run('zstd', ['--quiet', '--keep', join(dir, 'zst.ko')]);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['plain.ko', 'gz.ko.gz', 'xz.ko.xz', 'zst.ko.zst'])('returns the plain ELF of %s', async (name) => {
    expect((await readModuleUncompressed(join(dir, name))).equals(content)).toBe(true);
  });

  it('rejects other formats with the list of supported ones', async () => {
    await expect(readModuleUncompressed(join(dir, 'x.ko.bz2'))).rejects.toThrow(/expected .ko, .ko.gz, .ko.xz or .ko.zst/);
  });
});
