import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPvhEntry } from './elf-file.js';
import { extractPvhKernel } from './kernel-payload.js';
import { findNewestKernel } from './kernel-version.js';

/** A minimal bzImage: one setup sector plus the boot sector, then `payload` (+ 4 size bytes). */
function fakeBzImage(payload: Buffer): Buffer {
  const setup = Buffer.alloc(2 * 512);
  setup[0x1f1] = 1;
  setup.write('HdrS', 0x202, 'latin1');
  setup.writeUInt16LE(0x20f, 0x206);
  setup.writeUInt32LE(0, 0x248);
  setup.writeUInt32LE(payload.length + 4, 0x24c);
  return Buffer.concat([setup, payload, Buffer.alloc(4)]);
}

describe('extractPvhKernel', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-kernel-test-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives up (null) on a file that is not a bzImage', async () => {
    await writeFile(join(dir, 'not-a-kernel'), 'hello');
    expect(await extractPvhKernel(join(dir, 'not-a-kernel'), dir)).toBeNull();
  });

  it('gives up (null) when the unpacked payload has no PVH entry point', async () => {
    await writeFile(join(dir, 'fake'), fakeBzImage(gzipSync(Buffer.from('not an ELF kernel'))));
    expect(await extractPvhKernel(join(dir, 'fake'), dir)).toBeNull();
  });

  it('unpacks the host kernel into a PVH-bootable vmlinux', async () => {
    const kernel = await findNewestKernel('/boot');
    const vmlinux = await extractPvhKernel(kernel.path, dir);
    expect(vmlinux).toBe(join(dir, 'vmlinux'));
    expect(await hasPvhEntry(join(dir, 'vmlinux'))).toBe(true);
  }, 60_000);
});
