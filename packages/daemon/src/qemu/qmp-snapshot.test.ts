/**
 * Snapshots against real QEMU and the tiny guest: a disk snapshot taken while the guest runs and
 * applied offline with qemu-img, and a VM-state snapshot loaded into a QEMU started paused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSnapshots, snapshotApply } from '../storage/qemu-img.js';
import { JobFailedError, queryJobs } from './qmp-jobs.js';
import type { JobProgress } from './qmp-jobs.js';
import { deleteDiskSnapshots, deleteVmState, loadVmState, saveVmState, snapshotDisks } from './qmp-snapshot.js';
import { TinyVmFixture } from './testing/tiny-vm.js';

const MiB = 1024 * 1024;
let fx: TinyVmFixture;

beforeAll(async () => {
  fx = await TinyVmFixture.create('herd-snap-');
});

afterAll(async () => {
  await fx?.cleanup();
});

describe('disk snapshots', () => {
  it('are taken while the guest runs, and once applied offline the next boot reads the old file', async () => {
    const disk = await fx.newDisk('revert.qcow2');
    const vm = await fx.launch('revert', disk);
    await vm.ready();
    await vm.console.run('echo before > /data/state && sync');
    await snapshotDisks(vm.qmp, ['root'], 'snap-1');
    await snapshotDisks(vm.qmp, ['root'], 'snap-1');
    expect((await vm.qmp.queryStatus()).status).toBe('running');
    await vm.console.run('echo after > /data/state && sync');
    expect(await vm.console.run('cat /data/state')).toBe('after\n');
    await deleteDiskSnapshots(vm.qmp, ['root'], 'no-such-snapshot');
    await expect(snapshotDisks(vm.qmp, ['root', 'data'], 'snap-2')).rejects.toThrow("QEMU has no disk 'data'");
    await vm.quit();

    expect((await listSnapshots(disk)).map((s) => [s.name, s.vmStateBytes])).toEqual([['snap-1', 0]]);
    await snapshotApply(disk, 'snap-1');
    const again = await fx.launch('revert', disk);
    await again.ready();
    expect(await again.console.run('cat /data/state')).toBe('before\n');
    await deleteDiskSnapshots(again.qmp, ['root'], 'snap-1');
    await deleteDiskSnapshots(again.qmp, ['root'], 'snap-1');
    await again.quit();
    expect(await listSnapshots(disk)).toEqual([]);
  }, 150_000);
});

describe('VM-state snapshots', () => {
  it('save a running guest’s memory, which a QEMU started paused loads and resumes', async () => {
    const disk = await fx.newDisk('memory.qcow2');
    const vm = await fx.launch('memory', disk);
    await vm.ready();
    await vm.console.run('X=42');
    const save = { jobId: 'save-mem-1', tag: 'mem-1', vmstateDisk: 'root', disks: ['root'], timeoutMs: 60_000 };
    const progress: JobProgress[] = [];
    const started = Date.now();
    await saveVmState(vm.qmp, { ...save, onProgress: (p) => progress.push(p) });
    console.log(`snapshot-save of a 128 MiB guest took ${Date.now() - started} ms`);
    expect(progress.at(-1)).toEqual({ done: 1, total: 1 });
    // The save paused the vCPUs and resumed them: the guest runs on with its shell.
    expect((await vm.qmp.queryStatus()).status).toBe('running');
    expect(await vm.console.run('echo x=$X')).toBe('x=42\n');
    await saveVmState(vm.qmp, save);
    expect(await queryJobs(vm.qmp)).toEqual([]);
    await vm.console.run('X=7');
    await vm.quit();
    const [snapshot] = await listSnapshots(disk);
    expect(snapshot?.name).toBe('mem-1');
    expect(snapshot?.vmStateBytes).toBeGreaterThan(10 * MiB);

    const resumed = await fx.launch('memory', disk, { paused: true });
    const missing = await loadVmState(resumed.qmp, { ...save, jobId: 'load-missing', tag: 'missing' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(JobFailedError);
    expect((missing as JobFailedError).message).toBe("QEMU job load-missing failed: Snapshot 'missing' does not exist in one or more devices");
    await loadVmState(resumed.qmp, { ...save, jobId: 'load-mem-1' });
    expect((await resumed.qmp.queryStatus()).running).toBe(false);
    await resumed.qmp.cont();
    expect(await resumed.console.run('echo x=$X')).toBe('x=42\n');

    const del = { jobId: 'delete-mem-1', tag: 'mem-1', disks: ['root'], timeoutMs: 60_000 };
    await deleteVmState(resumed.qmp, del);
    await deleteVmState(resumed.qmp, del);
    await resumed.quit();
    expect(await listSnapshots(disk)).toEqual([]);
  }, 150_000);
});
