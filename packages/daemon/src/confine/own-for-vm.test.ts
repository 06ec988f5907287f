import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { disown, ownForVm, shareReadOnly } from './own-for-vm.js';

// Root only: files are handed to other users. The uids are far from any real user's.
const asRoot = process.getuid?.() === 0;
const a = { uid: 1_999_999_101, gid: 1_999_999_101 };
const b = { uid: 1_999_999_102, gid: 1_999_999_102 };
const root = mkdtempSync(join(tmpdir(), 'herd-own-'));
chmodSync(root, 0o711);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Whether `who` can read `path`, tried for real by `cat` running as that user. */
async function canRead(who: { uid: number; gid: number }, path: string): Promise<boolean> {
  const r = await run('setpriv', [`--reuid=${who.uid}`, `--regid=${who.gid}`, '--clear-groups', 'cat', path], { allowFailure: true });
  return r.code === 0;
}

describe.skipIf(!asRoot)('file modes of confinement', () => {
  it('hands a VM its own file (0600, its uid and gid) in a directory it can pass but not list', async () => {
    const dir = join(root, 'pool');
    mkdirSync(dir, { mode: 0o700 });
    const disk = join(dir, 'a.qcow2');
    writeFileSync(disk, 'data of a', { mode: 0o644 });
    await ownForVm(disk, a);
    expect(statSync(disk)).toMatchObject({ uid: a.uid, gid: a.gid });
    expect(statSync(disk).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o701);
    expect(await canRead(a, disk)).toBe(true);
    expect(await canRead(b, disk)).toBe(false);
    // Repeating changes nothing.
    await ownForVm(disk, a);
    expect(statSync(disk).mode & 0o777).toBe(0o600);
    // Without an owner (QEMU runs as the daemon), nothing is touched.
    await ownForVm(disk, undefined);
    expect(statSync(disk).uid).toBe(a.uid);
  });

  it('takes a file back from a VM, and lets a missing one be', async () => {
    const disk = join(root, 'b.qcow2');
    writeFileSync(disk, 'data');
    await ownForVm(disk, a);
    await disown(disk);
    expect(statSync(disk)).toMatchObject({ uid: 0, gid: 0 });
    expect(statSync(disk).mode & 0o777).toBe(0o600);
    expect(await canRead(a, disk)).toBe(false);
    await expect(disown(join(root, 'missing'))).resolves.toBeUndefined();
  });

  it('shares an image or base layer: every VM reads it, none writes it', async () => {
    const layer = join(root, 'layer.qcow2');
    writeFileSync(layer, 'base', { mode: 0o600 });
    await ownForVm(layer, a);
    await shareReadOnly(layer);
    expect(statSync(layer)).toMatchObject({ uid: 0, gid: 0 });
    expect(statSync(layer).mode & 0o777).toBe(0o644);
    expect(await canRead(a, layer)).toBe(true);
    expect(await canRead(b, layer)).toBe(true);
    const write = await run('setpriv', [`--reuid=${a.uid}`, `--regid=${a.gid}`, '--clear-groups', 'sh', '-c', 'echo x >> "$1"', 'sh', layer], { allowFailure: true });
    expect(write.stderr).toMatch(/Permission denied/);
  });
});
