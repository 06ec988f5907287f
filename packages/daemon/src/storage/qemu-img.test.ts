/**
 * The offline image operations against the real qemu-img: data is written and checked with
 * qemu-io patterns, so each test proves what the guest would read, not only what qemu-img says.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { escapeOptionValue } from '../qemu/escape.js';
import {
  commitIntoBacking,
  createVolumeFile,
  ImageShrinkError,
  imageInfo,
  listSnapshots,
  rebaseUnsafe,
  resizeImage,
  snapshotApply,
  snapshotCreate,
  snapshotDelete,
} from './qemu-img.js';

const MiB = 1024 * 1024;
let dir: string;
let keyFile: string;

beforeAll(async () => {
  // A comma in every path: each must reach qemu-img escaped (--image-opts, --object) or verbatim.
  dir = await mkdtemp(join(tmpdir(), 'herd-qemu-img,'));
  keyFile = join(dir, 'key,1');
  await writeFile(keyFile, 'correct-horse-battery-staple', { mode: 0o600 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs qemu-io commands on an image (opened with its key when given); rejects if one fails. */
async function io(path: string, commands: string[], key?: string): Promise<void> {
  const open = key
    ? ['--object', `secret,id=k,file=${escapeOptionValue(key)},format=raw`, '--image-opts', `driver=qcow2,file.filename=${escapeOptionValue(path)},encrypt.key-secret=k`]
    : ['-f', 'qcow2', path];
  await run('qemu-io', [...commands.flatMap((c) => ['-c', c]), ...open]);
}

describe('createVolumeFile', () => {
  it('creates qcow2, raw and overlay images of the requested size', async () => {
    const q = join(dir, 'plain,1.qcow2');
    const r = join(dir, 'plain.raw');
    const o = join(dir, 'overlay.qcow2');
    await createVolumeFile(q, 'qcow2', 8 * MiB);
    await createVolumeFile(r, 'raw', 4 * MiB);
    await io(q, ['write -P 0x11 0 64k']);
    await createVolumeFile(o, 'qcow2', 16 * MiB, { backing: { path: q, format: 'qcow2' } });
    expect(await imageInfo(q)).toMatchObject({ format: 'qcow2', 'virtual-size': 8 * MiB });
    expect(await imageInfo(r)).toMatchObject({ format: 'raw', 'virtual-size': 4 * MiB });
    expect(await imageInfo(o)).toMatchObject({ format: 'qcow2', 'virtual-size': 16 * MiB, 'backing-filename': q });
    await io(o, ['read -P 0x11 0 64k', 'read -P 0 8M 64k']);
  });

  it('refuses what raw cannot hold before running qemu-img', async () => {
    await expect(createVolumeFile(join(dir, 'x.raw'), 'raw', MiB, { keyFile })).rejects.toThrow(/use qcow2/);
    await expect(createVolumeFile(join(dir, 'x.raw'), 'raw', 0)).rejects.toThrow(/positive number of bytes/);
  });
});

describe('resizeImage', () => {
  it('grows an image, treats its current size as done, and refuses to shrink it', async () => {
    const p = join(dir, 'grow.qcow2');
    await createVolumeFile(p, 'qcow2', 8 * MiB);
    await resizeImage(p, 'qcow2', 16 * MiB);
    await resizeImage(p, 'qcow2', 16 * MiB);
    expect((await imageInfo(p))['virtual-size']).toBe(16 * MiB);
    const err = await resizeImage(p, 'qcow2', 8 * MiB).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageShrinkError);
    expect((err as Error).message).toBe(`${p} is ${16 * MiB} bytes; shrinking it to ${8 * MiB} bytes would cut off the guest's data, so herd only grows images`);
    expect((await imageInfo(p))['virtual-size']).toBe(16 * MiB);
  });
});

describe('internal snapshots', () => {
  it('takes, lists, applies and deletes them; repeating a create or delete changes nothing', async () => {
    const p = join(dir, 'snap.qcow2');
    await createVolumeFile(p, 'qcow2', 8 * MiB);
    await io(p, ['write -P 0xaa 0 64k']);
    const before = Date.now();
    await snapshotCreate(p, 'first');
    await snapshotCreate(p, 'first');
    await io(p, ['write -P 0xbb 0 64k']);
    await snapshotCreate(p, 'second');

    const list = await listSnapshots(p);
    expect(list.map((s) => [s.name, s.vmStateBytes])).toEqual([['first', 0], ['second', 0]]);
    expect(Math.abs(list[0]!.createdAt.getTime() - before)).toBeLessThan(60_000);

    await snapshotApply(p, 'first');
    await io(p, ['read -P 0xaa 0 64k']);
    await snapshotApply(p, 'second');
    await io(p, ['read -P 0xbb 0 64k']);
    await expect(snapshotApply(p, 'missing')).rejects.toThrow(`${p} has no snapshot named 'missing'`);

    await snapshotDelete(p, 'first');
    await snapshotDelete(p, 'first');
    expect((await listSnapshots(p)).map((s) => s.name)).toEqual(['second']);
  });
});

describe('LUKS-encrypted qcow2', () => {
  it('is created, snapshotted, reverted, grown and rebased with its key file', async () => {
    const base = join(dir, 'base.qcow2');
    const p = join(dir, 'secret,vol.qcow2');
    await createVolumeFile(base, 'qcow2', 8 * MiB);
    await io(base, ['write -P 0x22 1M 64k']);
    // A short iter-time: each open of the image would otherwise spend 2 s deriving the key.
    await createVolumeFile(p, 'qcow2', 8 * MiB, { keyFile, backing: { path: base, format: 'qcow2' }, luksIterTimeMs: 10 });
    expect(await imageInfo(p)).toMatchObject({ format: 'qcow2', encrypted: true });
    await expect(io(p, ['read 0 64k'])).rejects.toThrow(/key-secret/);

    await io(p, ['write -P 0xaa 0 64k'], keyFile);
    await snapshotCreate(p, 'clean', { keyFile });
    await io(p, ['write -P 0xbb 0 64k'], keyFile);
    await snapshotApply(p, 'clean', { keyFile });
    await io(p, ['read -P 0xaa 0 64k', 'read -P 0x22 1M 64k'], keyFile);
    expect((await listSnapshots(p)).map((s) => s.name)).toEqual(['clean']);

    await resizeImage(p, 'qcow2', 12 * MiB, { keyFile });
    expect((await imageInfo(p))['virtual-size']).toBe(12 * MiB);

    const moved = join(dir, 'moved,base.qcow2');
    await copyFile(base, moved);
    await rebaseUnsafe(p, moved, 'qcow2', { keyFile });
    expect((await imageInfo(p))['backing-filename']).toBe(moved);
    await io(p, ['read -P 0x22 1M 64k'], keyFile);

    await snapshotDelete(p, 'clean', { keyFile });
    expect(await listSnapshots(p)).toEqual([]);
  });
});

describe('merging a backup chain', () => {
  it('commits an incremental into the full and rebases the next incremental onto it, reading the same data', async () => {
    const full = join(dir, 'full.qcow2');
    const inc1 = join(dir, 'inc1.qcow2');
    const inc2 = join(dir, 'inc2.qcow2');
    await createVolumeFile(full, 'qcow2', 4 * MiB);
    await io(full, ['write -P 0x01 0 128k']);
    await createVolumeFile(inc1, 'qcow2', 4 * MiB, { backing: { path: full, format: 'qcow2' } });
    await io(inc1, ['write -P 0x02 64k 128k']);
    await createVolumeFile(inc2, 'qcow2', 4 * MiB, { backing: { path: inc1, format: 'qcow2' } });
    await io(inc2, ['write -P 0x03 128k 128k']);
    const flat = join(dir, 'flat.raw');
    await run('qemu-img', ['convert', '-O', 'raw', inc2, flat]);

    await commitIntoBacking(inc1);
    await rebaseUnsafe(inc2, full, 'qcow2');
    await rm(inc1);

    expect((await imageInfo(inc2))['backing-filename']).toBe(full);
    await io(inc2, ['read -P 0x01 0 64k', 'read -P 0x02 64k 64k', 'read -P 0x03 128k 128k']);
    const cmp = await run('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', inc2, flat]);
    expect(cmp.stdout).toContain('Images are identical');
  });
});
