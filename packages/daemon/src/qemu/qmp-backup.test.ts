/**
 * Backups against real QEMU and the tiny guest. What a backup should hold is the disk at the
 * instant its jobs started; an internal snapshot taken at that same instant (the guest paused
 * around both) is that disk, and `qemu-img compare` checks the backup against it.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { rebaseUnsafe } from '../storage/qemu-img.js';
import { BackupError, backupDisks, bitmapState } from './qmp-backup.js';
import { queryBlockNodes } from './qmp-block-nodes.js';
import type { QmpClient } from './qmp-client.js';
import { queryJobs } from './qmp-jobs.js';
import type { JobProgress } from './qmp-jobs.js';
import { snapshotDisks } from './qmp-snapshot.js';
import { TinyVmFixture } from './testing/tiny-vm.js';

let fx: TinyVmFixture;

beforeAll(async () => {
  fx = await TinyVmFixture.create('herd-backup-');
});

afterAll(async () => {
  await fx?.cleanup();
});

/** The disk as it was at internal snapshot `name`, flattened into its own image (VM stopped). */
async function snapshotView(disk: string, name: string): Promise<string> {
  const out = `${disk}.${name}.qcow2`;
  await run('qemu-img', ['convert', '-U', '-f', 'qcow2', '-l', `snapshot.name=${name}`, '-O', 'qcow2', disk, out]);
  return out;
}

async function identical(a: string, b: string): Promise<boolean> {
  const r = await run('qemu-img', ['compare', '-U', '-f', 'qcow2', '-F', 'qcow2', a, b], { allowFailure: true });
  if (r.code > 1) throw new Error(r.stderr);
  return r.code === 0;
}

/** Bytes of data the image itself holds (not its backing file). */
async function ownDataBytes(image: string): Promise<number> {
  const r = await run('qemu-img', ['map', '-U', '--output=json', '-f', 'qcow2', image]);
  const extents = JSON.parse(r.stdout) as { length: number; depth: number; data: boolean }[];
  return extents.filter((e) => e.depth === 0 && e.data).reduce((n, e) => n + e.length, 0);
}

/** Resumes the guest as soon as the backup jobs run: the copying then races the guest's writes. */
function resumeWhenJobsRun(qmp: QmpClient): () => void {
  let resumed = false;
  return qmp.on('event', (e) => {
    if (e.event === 'JOB_STATUS_CHANGE' && e.data.status === 'running' && !resumed) {
      resumed = true;
      void qmp.cont();
    }
  });
}

describe('backupDisks', () => {
  it('backs up a running VM in full, then incrementally, each equal to the disk at its instant', async () => {
    const disk = await fx.newDisk('backup.qcow2');
    const full = join(fx.root, 'full.qcow2');
    const inc = join(fx.root, 'inc.qcow2');
    const vm = await fx.launch('backup', disk);
    await vm.ready();
    await vm.console.run('dd if=/dev/urandom of=/data/bulk bs=64k count=128 2>/dev/null && sync');
    // The guest keeps rewriting a file while the full backup copies.
    await vm.console.run('(while :; do dd if=/dev/urandom of=/data/churn bs=64k count=4 conv=fsync 2>/dev/null; done) &');

    await vm.qmp.stop();
    await snapshotDisks(vm.qmp, ['root'], 'at-full');
    const stopResuming = resumeWhenJobsRun(vm.qmp);
    const progress: JobProgress[] = [];
    const fullStarted = Date.now();
    const [fullResult] = await backupDisks(vm.qmp, {
      disks: [{ diskId: 'root', targetPath: full, sync: 'full' }],
      newBitmap: 'herd-backup',
      onProgress: (p) => progress.push(p),
      timeoutMs: 60_000,
    });
    stopResuming();
    console.log(`full backup of a 64 MiB disk took ${Date.now() - fullStarted} ms`);
    expect(fullResult).toEqual({ diskId: 'root', targetPath: full, bytes: 64 * 1024 * 1024 });
    expect(progress.at(-1)).toEqual({ done: 64 * 1024 * 1024, total: 64 * 1024 * 1024 });
    expect((await vm.qmp.queryStatus()).status).toBe('running');
    expect(await queryJobs(vm.qmp)).toEqual([]);
    expect((await queryBlockNodes(vm.qmp)).has('root-bkp')).toBe(false);

    await vm.console.run('kill $!; wait; dd if=/dev/urandom of=/data/new bs=64k count=4 2>/dev/null && sync');
    const bitmap = await bitmapState(vm.qmp, 'root', 'herd-backup');
    expect(bitmap).toMatchObject({ exists: true, usable: true, persistent: true });

    await vm.qmp.stop();
    await snapshotDisks(vm.qmp, ['root'], 'at-inc');
    const [incResult] = await backupDisks(vm.qmp, {
      disks: [{ diskId: 'root', targetPath: inc, sync: 'incremental', bitmap: 'herd-backup', backingPath: full }],
      timeoutMs: 60_000,
    });
    await vm.qmp.cont();
    // The incremental copied what the bitmap had marked, and the bitmap starts again from there.
    expect(incResult?.bytes).toBe(bitmap.exists ? bitmap.dirtyBytes : NaN);
    expect(await bitmapState(vm.qmp, 'root', 'herd-backup')).toMatchObject({ usable: true, dirtyBytes: 0 });
    await vm.quit();

    expect(await identical(full, await snapshotView(disk, 'at-full'))).toBe(true);
    const atInc = await snapshotView(disk, 'at-inc');
    expect(await identical(inc, atInc)).toBe(true);
    expect(await identical(full, atInc)).toBe(false);
    const [fullData, incData] = [await ownDataBytes(full), await ownDataBytes(inc)];
    console.log(`full backup holds ${fullData} bytes of data, the incremental ${incData}`);
    expect(fullData).toBeGreaterThan(8 * 1024 * 1024);
    // Only the clusters written since the full backup (how many the guest rewrote meanwhile varies with load).
    expect(incData).toBeLessThan(fullData / 4);

    // Backups move (to an archive): the incremental is rebased onto the full's new path.
    await mkdir(join(fx.root, 'archive'));
    const archived = join(fx.root, 'archive', 'full.qcow2');
    await rename(full, archived);
    await rebaseUnsafe(inc, archived, 'qcow2');
    expect(await identical(inc, atInc)).toBe(true);
  }, 150_000);

  it('keeps the bitmap across a clean quit, finds it inconsistent after a crash, and then needs a full backup', async () => {
    const disk = await fx.newDisk('bitmap.qcow2');
    // The guest never runs: block jobs and bitmaps work on a VM paused at launch.
    const first = await fx.launch('bitmap', disk, { paused: true });
    await backupDisks(first.qmp, { disks: [{ diskId: 'root', targetPath: join(fx.root, 'b0.qcow2'), sync: 'full' }], newBitmap: 'b', timeoutMs: 60_000 });
    await first.quit();

    const second = await fx.launch('bitmap', disk, { paused: true });
    expect(await bitmapState(second.qmp, 'root', 'b')).toEqual({ exists: true, usable: true, persistent: true, dirtyBytes: 0 });
    await second.kill();

    const third = await fx.launch('bitmap', disk, { paused: true });
    expect(await bitmapState(third.qmp, 'root', 'b')).toMatchObject({ exists: true, usable: false });
    const target = join(fx.root, 'b1.qcow2');
    const refused = await backupDisks(third.qmp, {
      disks: [{ diskId: 'root', targetPath: target, sync: 'incremental', bitmap: 'b', backingPath: join(fx.root, 'b0.qcow2') }],
      timeoutMs: 60_000,
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackupError);
    expect((refused as Error).message).toBe("bitmap 'b' of disk 'root' is inconsistent (QEMU did not close the image cleanly); take a full backup");
    expect(existsSync(target)).toBe(false);

    // The fallback: a full backup replaces the inconsistent bitmap with a new one.
    await backupDisks(third.qmp, { disks: [{ diskId: 'root', targetPath: target, sync: 'full' }], newBitmap: 'b', timeoutMs: 60_000 });
    expect(await bitmapState(third.qmp, 'root', 'b')).toEqual({ exists: true, usable: true, persistent: true, dirtyBytes: 0 });

    // A target that exists is never overwritten.
    await writeFile(join(fx.root, 'taken.qcow2'), 'not a backup');
    await expect(backupDisks(third.qmp, { disks: [{ diskId: 'root', targetPath: join(fx.root, 'taken.qcow2'), sync: 'full' }], timeoutMs: 60_000 })).rejects.toThrow(
      /already exists; herd does not overwrite backups/,
    );
    await third.quit();
  }, 120_000);
});
