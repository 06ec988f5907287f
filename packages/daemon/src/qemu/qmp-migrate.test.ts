/**
 * Live migration between real QEMUs on this host (the tiny guest, TCG), each destination
 * launched with `incoming` and reached over tcp:127.0.0.1. One guest is booted once and moved on
 * from QEMU to QEMU, so the tests run in order: pre-copy on a disk both QEMUs share, post-copy,
 * a migration with an NBD mirror that is cancelled and one that fails, and a local disk moved
 * to an empty image by NBD mirror. The guest is watched through its serial console, which
 * moves with it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { createVolumeFile, imageInfo } from '../storage/qemu-img.js';
import type { JobProgress } from './qmp-jobs.js';
import {
  awaitIncoming,
  listenIncoming,
  migrate,
  MigrationCancelledError,
  MigrationFailedError,
  setMigrationOptions,
  tcpUri,
} from './qmp-migrate.js';
import type { MigrationOptions, MigrationProgress } from './qmp-migrate.js';
import { abortMirrors, diskExport, finishMirrors, mirrorToNbd, nbdServe, nbdStop } from './qmp-nbd-mirror.js';
import { topNode } from './qmp-nodes.js';
import type { SerialConsole, TinyVm } from './testing/tiny-vm.js';
import { TinyVmFixture } from './testing/tiny-vm.js';
import { freePort } from '../host/free-port.js';

const LOOPBACK = '127.0.0.1';
// C0, C1, ... every 100 ms, in the background so that the shell stays usable, until /tmp/stop exists.
const COUNTER = '(i=0; while [ ! -e /tmp/stop ]; do echo C$i; i=$((i+1)); usleep 100000; done) &';
const COUNTER_LINE = /^C(\d+)\r?\n/m;

let fx: TinyVmFixture;
/** The QEMU the guest runs in now; each test moves it on. */
let vm: TinyVm;
/** The image of disk `root` of the current QEMU. */
let disk: string;

beforeAll(async () => {
  fx = await TinyVmFixture.create('herd-mig-');
  disk = await fx.newDisk('shared.qcow2');
  vm = await fx.launch('vm0', disk);
  await vm.ready();
});

afterAll(async () => {
  await fx?.cleanup();
});

/** The counter values the console shows from the last match to the end of its output. */
async function counters(console: SerialConsole): Promise<number[]> {
  const seen: number[] = [];
  for (;;) {
    // A paused source prints nothing more: the first wait that times out has read everything.
    const m = await console.waitFor(COUNTER_LINE, 300).catch(() => undefined);
    if (!m) return seen;
    seen.push(Number(m[1]));
  }
}

/** Launches a destination for image `image`, sets `options` on both sides and returns the URI it listens on. */
async function destination(name: string, image: string, options: MigrationOptions = {}): Promise<{ dst: TinyVm; uri: string }> {
  const dst = await fx.launch(name, image, { incoming: true });
  expect((await dst.qmp.queryStatus()).status).toBe('inmigrate');
  await setMigrationOptions(vm.qmp, options);
  await setMigrationOptions(dst.qmp, options);
  const [address] = await listenIncoming(dst.qmp, `tcp:${LOOPBACK}:0`);
  expect(await listenIncoming(dst.qmp, `tcp:${LOOPBACK}:0`)).toEqual([address]);
  return { dst, uri: tcpUri(address!) };
}

/** An empty qcow2 of the current disk's virtual size, as a destination with local disks gets. */
async function emptyImageLike(name: string): Promise<string> {
  const path = join(fx.root, name);
  await createVolumeFile(path, 'qcow2', (await imageInfo(disk))['virtual-size']);
  return path;
}

describe('live migration of one guest from QEMU to QEMU (in order)', () => {
  it('pre-copy, disk shared: the console counter goes on at the destination after a small gap', async () => {
    vm.console.type(COUNTER);
    await vm.console.waitFor(/^C5\r?\n/m);
    const { dst, uri } = await destination('vm1', disk);

    const progress: MigrationProgress[] = [];
    const result = await migrate(vm.qmp, uri, { onProgress: (p) => progress.push(p) });
    console.log(`pre-copy, shared disk, 128 MiB guest printing every 100 ms: ${JSON.stringify(result)}`);
    expect(result.downtimeMs).toBeGreaterThan(0);
    expect(result.totalMs).toBeGreaterThanOrEqual(result.downtimeMs);
    expect(result.postcopy).toBe(false);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.totalBytes).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect((await vm.qmp.queryStatus()).status).toBe('postmigrate');
    await awaitIncoming(dst.qmp);
    // Started with -S: the guest waits at the destination until it is told to run.
    expect((await dst.qmp.queryStatus()).status).toBe('paused');

    const before = await counters(vm.console);
    await dst.qmp.cont();
    const first = Number((await dst.console.waitFor(COUNTER_LINE))[1]);
    const next = [Number((await dst.console.waitFor(COUNTER_LINE))[1]), Number((await dst.console.waitFor(COUNTER_LINE))[1])];
    const last = before.at(-1)!;
    console.log(`console counter: last on the source C${last}, first on the destination C${first}`);
    expect(first).toBeGreaterThan(last);
    // Only a line cut in two by the switch (its head printed by the source) may be missing.
    expect(first - last).toBeLessThanOrEqual(2);
    expect(next).toEqual([first + 1, first + 2]);

    await vm.quit();
    vm = dst;
    // `wait` returns once the counter has seen /tmp/stop; later commands' output is its own.
    await vm.console.run('touch /tmp/stop; wait');
    expect(await vm.console.run('echo moved')).toBe('moved\n');
  });

  it('post-copy: switches when asked, and the guest runs at the destination once resumed', async () => {
    // Capped, so that the first pass is still under way when the switch is asked for.
    const { dst, uri } = await destination('vm2', disk, { postcopy: true, maxBandwidthBytes: 16 * 1024 * 1024 });
    const result = await migrate(vm.qmp, uri, { postcopyAfterPasses: 0, onPostcopy: () => dst.qmp.cont() });
    console.log(`post-copy, shared disk, 128 MiB guest: ${JSON.stringify(result)}`);
    expect(result.postcopy).toBe(true);
    await awaitIncoming(dst.qmp);
    expect((await dst.qmp.queryStatus()).status).toBe('running');
    await vm.quit();
    vm = dst;
    expect(await vm.console.run('echo moved')).toBe('moved\n');
  });

  it('cancelled through the signal, with a disk mirror: the source runs on, the destination QEMU ends', async () => {
    const { dst, uri } = await destination('vm3', await emptyImageLike('cancelled.qcow2'), { maxBandwidthBytes: 256 * 1024 });
    const nbd = { host: LOOPBACK, port: await freePort() };
    await nbdServe(dst.qmp, nbd, [diskExport('root')]);
    await mirrorToNbd(vm.qmp, { node: await topNode(vm.qmp, 'root'), ...nbd, exportName: 'root', jobId: 'mig-root' });

    const abort = new AbortController();
    const progress: MigrationProgress[] = [];
    const error = await migrate(vm.qmp, uri, {
      signal: abort.signal,
      onProgress: (p) => {
        progress.push(p);
        if (p.transferredBytes > 0) abort.abort(new Error('operator cancelled'));
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationCancelledError);
    expect((error as MigrationCancelledError).sourceState).toBe('running');
    expect(progress.at(-1)!.remainingBytes).toBeGreaterThan(0);
    // The mirror goes with the migration; the source's own disk is not touched.
    await abortMirrors(vm.qmp, ['mig-root']);
    await abortMirrors(vm.qmp, ['mig-root']);
    expect((await vm.qmp.queryStatus()).status).toBe('running');
    expect(await vm.console.run('echo still here')).toBe('still here\n');
    // QEMU 7.2 ends a destination whose incoming migration broke off.
    await expect(awaitIncoming(dst.qmp)).rejects.toThrow(/the destination QEMU exited during the incoming migration/);
    await dst.kill();
  });

  it('fails when nothing listens: QEMU’s reason is reported and the source runs on', async () => {
    const error = await migrate(vm.qmp, `tcp:${LOOPBACK}:${await freePort()}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).message).toMatch(/^live migration failed: Failed to connect to .*Connection refused; the VM runs on, on the source$/);
    expect((await vm.qmp.queryStatus()).status).toBe('running');
  });

  it('local disk: mirrored into the destination’s empty image, which holds the same data at the handover', async () => {
    const written = await vm.console.run('dd if=/dev/urandom of=/data/blob bs=64k count=64 2>/dev/null; sync; md5sum /data/blob');
    const dstDisk = await emptyImageLike('local.qcow2');
    const { dst, uri } = await destination('vm4', dstDisk);
    const nbd = { host: LOOPBACK, port: await freePort() };
    await nbdServe(dst.qmp, nbd, [diskExport('root')]);
    await nbdServe(dst.qmp, nbd, [diskExport('root')]);
    const copied: JobProgress[] = [];
    const mirror = { node: await topNode(vm.qmp, 'root'), ...nbd, exportName: 'root', jobId: 'mig-root' };
    await mirrorToNbd(vm.qmp, { ...mirror, onProgress: (p) => copied.push(p) });
    await mirrorToNbd(vm.qmp, mirror);
    // READY: the first pass is done. What the guest wrote since is still to go (so `done` may
    // trail `total` by a little), and goes on being mirrored until the handover.
    const last = copied.at(-1)!;
    expect(last.done).toBeGreaterThanOrEqual(64 * 65536);
    expect(last.total - last.done).toBeLessThan(4 << 20);
    // The guest writes on while its RAM moves; the mirror carries that to the destination too.
    vm.console.type('dd if=/dev/urandom of=/data/late bs=64k count=16 2>/dev/null; sync');
    const result = await migrate(vm.qmp, uri);
    console.log(`pre-copy, 64 MiB local disk mirrored over NBD, 128 MiB guest: ${JSON.stringify(result)}`);
    await finishMirrors(vm.qmp, ['mig-root']);
    await finishMirrors(vm.qmp, ['mig-root']);
    await nbdStop(dst.qmp);
    await nbdStop(dst.qmp);
    await awaitIncoming(dst.qmp);

    // At the handover both images hold the same disk: the source has stopped, the destination not begun.
    const compared = await run('qemu-img', ['compare', '-U', disk, dstDisk], { allowFailure: true });
    expect(compared.stdout + compared.stderr).toContain('Images are identical.');
    expect(compared.code).toBe(0);

    await dst.qmp.cont();
    await vm.quit();
    vm = dst;
    disk = dstDisk;
    // Dropping the page cache makes the guest read the file back from the destination's image.
    expect(await vm.console.run('echo 3 > /proc/sys/vm/drop_caches; md5sum /data/blob')).toBe(written);
    expect(await vm.console.run('echo after > /data/after && sync && cat /data/after')).toBe('after\n');
    expect((await vm.qmp.queryStatus()).status).toBe('running');
    await vm.quit();
  });
});
