/**
 * Storage end to end against real QEMU and qemu-img: pools with their space, volumes made,
 * hot-plugged into a running guest, grown live and unplugged; encrypted volumes; snapshots
 * with and without memory; linked and full clones of a running VM; backup, delete, restore.
 * The guest is the tiny image; what it sees is read through its serial console.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HerdError, type Operation, type Vm } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { guestShell } from '../helpers/guest-shell.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

const daemon = new DaemonProcess();
const { sh, booted } = guestShell(daemon);
const scratch = join(daemon.dataDir, 'scratch');

beforeAll(async () => {
  await daemon.start();
  const build = await daemon.cli(['image', 'build', 'tiny']);
  expect(build.code, build.stderr).toBe(0);
  mkdirSync(scratch, { recursive: true });
}, 300_000);

afterAll(async () => {
  try {
    execFileSync('umount', ['-l', join(scratch, 'small')], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  await daemon.destroy();
});



async function op(p: Promise<Operation>): Promise<Operation> {
  const o = await p;
  expect(o.status, JSON.stringify(o.error)).toBe('succeeded');
  return o;
}

const wait = { wait: true, timeoutSeconds: 600 } as const;
const vmOf = (name: string): Promise<Vm> => daemon.client.call('getVm', { params: { id: name } });

describe('pools', () => {
  it('lists the default pool with its space', async () => {
    const pools = await daemon.client.call('listPools');
    const d = pools.find((p) => p.name === 'default')!;
    expect(d.type).toBe('dir');
    expect(d.capacityBytes).toBeGreaterThan(0);
    expect(d.freeBytes).toBeGreaterThan(0);
    expect(d.freeBytes).toBeLessThanOrEqual(d.capacityBytes);
  });

  it('creates a dir pool, refuses to delete it while it holds a volume, then deletes it', async () => {
    const dir = join(scratch, 'p1');
    const p = await daemon.client.call('createPool', { body: { name: 'p1', type: 'dir', path: dir } });
    expect(p.volumes).toBe(0);
    expect(existsSync(dir)).toBe(true);
    const v = await daemon.client.call('createVolume', { body: { name: 'v1', sizeBytes: 64 * 2 ** 20, pool: 'p1', format: 'raw' } });
    expect(v).toMatchObject({ pool: 'p1', format: 'raw', sizeBytes: 64 * 2 ** 20, role: 'data', vm: null });
    expect((await daemon.client.call('getPool', { params: { id: 'p1' } })).allocatedBytes).toBe(64 * 2 ** 20);
    const refused = await daemon.client.call('deletePool', { params: { id: 'p1' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HerdError);
    expect((refused as HerdError).status).toBe(409);
    expect((refused as HerdError).message).toContain('v1');
    await daemon.client.call('deleteVolume', { params: { id: 'v1' } });
    expect(readdirSync(dir)).toEqual([]);
    await daemon.client.call('deletePool', { params: { id: 'p1' } });
    expect((await daemon.client.call('listPools')).map((x) => x.name)).toEqual(['default']);
  });

  it('refuses a volume larger than the free space, saying both, and leaves nothing', async () => {
    const dir = join(scratch, 'small');
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir]);
    await daemon.client.call('createPool', { body: { name: 'small', type: 'dir', path: dir } });
    const err = (await daemon.client.call('createVolume', { body: { name: 'big', sizeBytes: 64 * 2 ** 20, pool: 'small' } }).catch((e: unknown) => e)) as HerdError;
    expect(err.status).toBe(507);
    expect(err.code).toBe('insufficient_space');
    expect(err.message).toMatch(/has 16(\.0)? MiB free and 64 MiB was asked for/);
    expect(readdirSync(dir)).toEqual([]);
    expect((await daemon.client.call('listVolumes', {})).map((v) => v.name)).not.toContain('big');
    await daemon.client.call('deletePool', { params: { id: 'small' } });
    execFileSync('umount', [dir]);
  });

  it('answers bad pools and volumes with clear 4xx errors', async () => {
    const bad = async (p: Promise<unknown>, status: number, re: RegExp) => {
      const e = (await p.catch((x: unknown) => x)) as HerdError;
      expect(e, String(e)).toBeInstanceOf(HerdError);
      expect(e.status).toBe(status);
      expect(e.message).toMatch(re);
    };
    await bad(daemon.client.call('createPool', { body: { name: 'rel', type: 'dir', path: 'relative/dir' } }), 400, /path: give a normalized absolute/);
    await bad(daemon.client.call('createPool', { body: { name: 'lvm', type: 'lvm-thin' } }), 400, /volumeGroup/);
    // No such volume group (and, on kernels without device-mapper, no thin pools at all): the reason is given.
    await bad(daemon.client.call('createPool', { body: { name: 'lvm', type: 'lvm-thin', volumeGroup: 'herdnovg', thinPool: 'thin' } }), 422, /pool 'lvm' cannot be used: .*(device-mapper|herdnovg)/);
    await bad(daemon.client.call('createVolume', { body: { name: 'x', sizeBytes: 2 ** 20, format: 'raw', encrypted: true } }), 400, /encrypted: .*qcow2/);
    await bad(daemon.client.call('createVolume', { body: { name: 'x', sizeBytes: 2 ** 20 + 1 } }), 400, /multiple of 512/);
    await bad(daemon.client.call('createVolume', { body: { name: 'x', sizeBytes: 2 ** 20, pool: 'nope' } }), 404, /pool 'nope' does not exist/);
    await daemon.client.call('createVolume', { body: { name: 'grow', sizeBytes: 8 * 2 ** 20 } });
    await bad(daemon.client.call('resizeVolume', { params: { id: 'grow' }, body: { sizeBytes: 4 * 2 ** 20 } }), 422, /volumes only grow/);
    await bad(daemon.client.call('createVolume', { body: { name: 'grow', sizeBytes: 2 ** 20 } }), 409, /already exists/);
    await bad(daemon.client.call('detachVolume', { params: { id: 'grow' }, body: {} }), 400, /not attached/);
    await daemon.client.call('deleteVolume', { params: { id: 'grow' } });
  });
});

describe('volumes on a running guest', () => {
  it('boots a VM whose root disk is a volume', async () => {
    const r = await daemon.cli(['vm', 'create', 'st1', '--image', 'tiny', '--memory', '128M', '--start']);
    expect(r.code, r.stderr).toBe(0);
    await booted('st1');
    const vm = await vmOf('st1');
    expect(vm.spec.disks).toEqual([expect.objectContaining({ volume: 'st1-root', pool: 'default', role: 'root', device: 'root' })]);
    const root = await daemon.client.call('getVolume', { params: { id: 'st1-root' } });
    expect(root).toMatchObject({ vm: 'st1', image: 'tiny', role: 'root' });
    const refused = (await daemon.client.call('deleteVolume', { params: { id: 'st1-root' } }).catch((e: unknown) => e)) as HerdError;
    expect(refused.status).toBe(409);
    expect(refused.message).toMatch(/root disk of VM 'st1'/);
  }, 180_000);

  it('hot-plugs a volume the guest then sees, grows it live, keeps it across a restart, and unplugs it', async () => {
    await daemon.client.call('createVolume', { body: { name: 'data1', sizeBytes: 64 * 2 ** 20 } });
    const attached = await op(daemon.client.call('attachVolume', { params: { id: 'data1' }, body: { vm: 'st1' }, query: wait }));
    expect(attached.result).toMatchObject({ live: true });
    expect(await waitFor('vdb in the guest', async () => ((await sh('st1', 'cat /sys/block/vdb/size')) === '131072' ? true : undefined), 20_000, 500)).toBe(true);
    expect((await vmOf('st1')).spec.disks.map((d) => d.volume)).toEqual(['st1-root', 'data1']);

    const grown = await daemon.client.call('resizeVolume', { params: { id: 'data1' }, body: { sizeBytes: 128 * 2 ** 20 } });
    expect(grown.sizeBytes).toBe(128 * 2 ** 20);
    expect(await waitFor('the new size in the guest', async () => ((await sh('st1', 'cat /sys/block/vdb/size')) === '262144' ? true : undefined), 20_000, 500)).toBe(true);

    const restart = await daemon.cli(['vm', 'restart', 'st1', '--force']);
    expect(restart.code, restart.stderr).toBe(0);
    await booted('st1');
    expect(await sh('st1', 'cat /sys/block/vdb/size')).toBe('262144');

    const detached = await op(daemon.client.call('detachVolume', { params: { id: 'data1' }, body: {}, query: wait }));
    expect(detached.result).toMatchObject({ live: true });
    expect(await sh('st1', 'ls /sys/block | grep -c vdb || true')).toBe('0');
    expect((await vmOf('st1')).spec.disks.map((d) => d.volume)).toEqual(['st1-root']);
    await daemon.client.call('deleteVolume', { params: { id: 'data1' } });
  }, 240_000);

  it('attaches an encrypted volume whose key is never on a command line', async () => {
    const v = await daemon.client.call('createVolume', { body: { name: 'secret1', sizeBytes: 32 * 2 ** 20, encrypted: true } });
    expect(v.encrypted).toBe(true);
    await op(daemon.client.call('attachVolume', { params: { id: 'secret1' }, body: { vm: 'st1' }, query: wait }));
    expect(await waitFor('the encrypted disk in the guest', async () => ((await sh('st1', 'cat /sys/block/vdb/size')) === '65536' ? true : undefined), 20_000, 500)).toBe(true);
    const key = readFileSync(join(daemon.dataDir, 'keys', `${v.id}.key`), 'utf8');
    expect(key.length).toBeGreaterThan(20);
    const pid = (await vmOf('st1')).pid!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(key);
    expect(daemon.logs.join('\n')).not.toContain(key);
    // After a restart the key goes to QEMU as a secret file object on its command line.
    expect((await daemon.cli(['vm', 'restart', 'st1', '--force'])).code).toBe(0);
    await booted('st1');
    const cmdline = readFileSync(`/proc/${(await vmOf('st1')).pid!}/cmdline`, 'utf8');
    expect(cmdline).toContain(`${v.id}.key`);
    expect(cmdline).not.toContain(key);
    expect(await sh('st1', 'cat /sys/block/vdb/size')).toBe('65536');
    await op(daemon.client.call('detachVolume', { params: { id: 'secret1' }, body: {}, query: wait }));
    await daemon.client.call('deleteVolume', { params: { id: 'secret1' } });
    expect(existsSync(join(daemon.dataDir, 'keys', `${v.id}.key`))).toBe(false);
  }, 240_000);
});

describe('snapshots', () => {
  it('reverts a running VM to a disk snapshot: it stops, and boots with the old content', async () => {
    await sh('st1', 'echo one > /data/f; sync');
    await op(daemon.client.call('createSnapshot', { params: { id: 'st1' }, body: { name: 's1' }, query: wait }));
    await sh('st1', 'echo two > /data/f; sync');
    expect(await sh('st1', 'cat /data/f')).toBe('two');
    const reverted = await op(daemon.client.call('revertSnapshot', { params: { id: 'st1', snapshot: 's1' }, body: {}, query: wait }));
    expect(reverted.result).toMatchObject({ state: 'stopped' });
    expect((await vmOf('st1')).state).toBe('stopped');
    expect((await daemon.cli(['vm', 'start', 'st1'])).code).toBe(0);
    await booted('st1');
    expect(await sh('st1', 'cat /data/f')).toBe('one');
  }, 240_000);

  it('reverts to a snapshot with memory: the VM resumes where it was', async () => {
    await sh('st1', 'X=42; echo mem > /data/f; sync');
    await op(daemon.client.call('createSnapshot', { params: { id: 'st1' }, body: { name: 's2', withMemory: true, description: 'with X' }, query: wait }));
    await sh('st1', 'X=0; echo later > /data/f; sync');
    const pidBefore = (await vmOf('st1')).pid;
    const reverted = await op(daemon.client.call('revertSnapshot', { params: { id: 'st1', snapshot: 's2' }, body: {}, query: wait }));
    expect(reverted.result).toMatchObject({ state: 'running' });
    const after = await vmOf('st1');
    expect(after.state).toBe('running');
    expect(after.pid).not.toBe(pidBefore);
    expect(await sh('st1', 'echo X=$X; cat /data/f')).toBe('X=42\nmem');
    const snaps = await daemon.client.call('listSnapshots', { params: { id: 'st1' } });
    expect(snaps.map((s) => [s.name, s.parent, s.current, s.withMemory])).toEqual([
      ['s1', null, false, false],
      ['s2', 's1', true, true],
    ]);
  }, 240_000);

  it('keeps the tree right: revert to an older snapshot, take a new one, delete one', async () => {
    await op(daemon.client.call('revertSnapshot', { params: { id: 'st1', snapshot: 's1' }, body: {}, query: wait }));
    expect((await daemon.cli(['vm', 'start', 'st1'])).code).toBe(0);
    await booted('st1');
    await op(daemon.client.call('createSnapshot', { params: { id: 'st1' }, body: { name: 's3' }, query: wait }));
    let snaps = await daemon.client.call('listSnapshots', { params: { id: 'st1' } });
    expect(snaps.map((s) => [s.name, s.parent, s.current])).toEqual([
      ['s1', null, false],
      ['s2', 's1', false],
      ['s3', 's1', true],
    ]);
    await op(daemon.client.call('deleteSnapshot', { params: { id: 'st1', snapshot: 's1' }, query: wait }));
    snaps = await daemon.client.call('listSnapshots', { params: { id: 'st1' } });
    expect(snaps.map((s) => [s.name, s.parent])).toEqual([
      ['s2', null],
      ['s3', null],
    ]);
    const root = (await daemon.client.call('getVolume', { params: { id: 'st1-root' } })).id;
    const info = execFileSync('qemu-img', ['snapshot', '-l', '-U', join(daemon.dataDir, 'pools', 'default', `${root}.qcow2`)], { encoding: 'utf8' });
    expect(info).not.toMatch(/\bs1\b/);
    expect(info).toMatch(/\bs3\b/);
    const dup = (await daemon.client.call('createSnapshot', { params: { id: 'st1' }, body: { name: 's3' } }).catch((e: unknown) => e)) as HerdError;
    expect(dup.status).toBe(409);
    await op(daemon.client.call('deleteSnapshot', { params: { id: 'st1', snapshot: 's2' }, query: wait }));
    await op(daemon.client.call('deleteSnapshot', { params: { id: 'st1', snapshot: 's3' }, query: wait }));
  }, 240_000);
});

describe('clones', () => {
  it('makes a linked clone of a running VM that boots with its data, O(1) in disk size', async () => {
    await sh('st1', 'echo cloned > /data/c; sync');
    const before = Date.now();
    await op(daemon.client.call('cloneVm', { params: { id: 'st1' }, body: { name: 'st1-link', mode: 'linked', start: true }, query: wait }));
    const took = Date.now() - before;
    const clone = await vmOf('st1-link');
    expect(clone.id).not.toBe((await vmOf('st1')).id);
    expect((await vmOf('st1')).state).toBe('running');
    const vol = await daemon.client.call('getVolume', { params: { id: 'st1-link-root' } });
    expect(vol.usedBytes).toBeLessThan(2 * 2 ** 20);
    await booted('st1-link');
    expect(await sh('st1-link', 'cat /data/c')).toBe('cloned');
    // The source writes on, into its own overlay.
    await sh('st1', 'echo source-only > /data/c; sync');
    expect(await sh('st1-link', 'cat /data/c')).toBe('cloned');
    expect(took).toBeGreaterThan(0);
  }, 240_000);

  it('makes a full clone of a running VM into another pool', async () => {
    await daemon.client.call('createPool', { body: { name: 'copies', type: 'dir', path: join(scratch, 'copies') } });
    await op(daemon.client.call('cloneVm', { params: { id: 'st1' }, body: { name: 'st1-full', mode: 'full', pool: 'copies' }, query: wait }));
    const vm = await vmOf('st1-full');
    expect(vm.spec.disks).toEqual([expect.objectContaining({ volume: 'st1-full-root', pool: 'copies' })]);
    expect((await daemon.client.call('getVolume', { params: { id: 'st1-full-root' } })).image).toBeNull();
    expect((await daemon.cli(['vm', 'start', 'st1-full'])).code).toBe(0);
    await booted('st1-full');
    expect(await sh('st1-full', 'cat /data/c')).toBe('source-only');
    for (const n of ['st1-full', 'st1-link']) expect((await daemon.cli(['vm', 'delete', n])).code).toBe(0);
    await daemon.client.call('deletePool', { params: { id: 'copies' } });
  }, 240_000);
});

describe('backups', () => {
  it('backs a running VM up, incrementally too, and restores it after the VM is deleted', async () => {
    const dir = join(scratch, 'backups');
    await sh('st1', 'echo base > /data/b; dd if=/dev/urandom of=/data/big bs=1M count=8 2>/dev/null; sync');
    const bigSum = await sh('st1', 'md5sum /data/big | cut -c1-32');
    const full = await op(daemon.client.call('createBackup', { params: { id: 'st1' }, body: { to: dir }, query: wait }));
    const fullBackup = (full.result as { backup: { path: string; kind: string; sizeBytes: number } }).backup;
    expect(fullBackup.kind).toBe('full');
    // The bitmap lives in the qcow2: a restart of the VM (a new QEMU) keeps it.
    expect((await daemon.cli(['vm', 'restart', 'st1', '--force'])).code).toBe(0);
    await booted('st1');
    await sh('st1', 'echo delta > /data/b2; sync');
    const inc = await op(daemon.client.call('createBackup', { params: { id: 'st1' }, body: { to: dir, incremental: true }, query: wait }));
    const incBackup = (inc.result as { backup: { path: string; kind: string; sizeBytes: number } }).backup;
    expect(incBackup.kind).toBe('incremental');
    // Only what changed since the full one: a small file and the filesystem's own updates, not the 8 MiB written before.
    expect(incBackup.sizeBytes).toBeLessThan(fullBackup.sizeBytes / 4);
    expect(readdirSync(dir).sort()).toHaveLength(2);

    expect((await daemon.cli(['vm', 'delete', 'st1'])).code).toBe(0);
    await op(daemon.client.call('restoreBackup', { body: { archive: incBackup.path, name: 'st1r', start: true }, query: wait }));
    await booted('st1r');
    expect(await sh('st1r', 'cat /data/b /data/b2')).toBe('base\ndelta');
    expect(bigSum).toMatch(/^[0-9a-f]{32}$/);
    expect(await sh('st1r', 'md5sum /data/big | cut -c1-32')).toBe(bigSum);

    const bogus = join(scratch, 'bogus.tar');
    execFileSync('tar', ['-cf', bogus, '-C', scratch, 'backups']);
    const err = (await daemon.client.call('restoreBackup', { body: { archive: bogus } }).catch((e: unknown) => e)) as HerdError;
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/not a herd backup archive/);
    rmSync(bogus);
  }, 300_000);

  it('makes an image from a stopped VM, and a VM of that image boots with its data', async () => {
    expect((await daemon.cli(['vm', 'stop', 'st1r', '--force'])).code).toBe(0);
    await op(daemon.client.call('createImageFromVm', { body: { vm: 'st1r', name: 'golden' }, query: wait }));
    const img = await daemon.client.call('getImage', { params: { id: 'golden' } });
    expect(img).toMatchObject({ kind: 'kernel', format: 'qcow2', source: 'vm:st1r' });
    expect((await daemon.cli(['vm', 'create', 'fromgold', '--image', 'golden', '--memory', '128M', '--start'])).code).toBe(0);
    await booted('fromgold');
    expect(await sh('fromgold', 'cat /data/b')).toBe('base');
    const running = (await daemon.client.call('createImageFromVm', { body: { vm: 'fromgold', name: 'nope' } }).catch((e: unknown) => e)) as HerdError;
    expect(running.status).toBe(409);
    expect(running.message).toMatch(/stop it first/);
  }, 240_000);

  it('attaches an ISO image as a cdrom, and refuses an ISO as a boot disk', async () => {
    const iso = join(scratch, 'install.iso');
    const buf = Buffer.alloc(2 ** 20);
    buf.write('CD001', 0x8001, 'latin1');
    writeFileSync(iso, buf);
    await op(daemon.client.call('importImage', { body: { name: 'install', path: iso }, query: wait }));
    expect((await daemon.client.call('getImage', { params: { id: 'install' } })).kind).toBe('iso');
    const asDisk = (await daemon.client.call('createVm', { body: { name: 'isodisk', image: 'install' } }).catch((e: unknown) => e)) as HerdError;
    expect(asDisk.status).toBe(400);
    expect(asDisk.message).toMatch(/is an ISO; give it as cdrom/);
    const notIso = (await daemon.client.call('createVm', { body: { name: 'isodisk', image: 'tiny', cdrom: 'golden' } }).catch((e: unknown) => e)) as HerdError;
    expect(notIso.message).toMatch(/cdrom: image 'golden' is not an ISO image/);
    await op(daemon.client.call('createVm', { body: { name: 'withcd', image: 'tiny', memoryMiB: 128, cdrom: 'install', start: true }, query: wait }));
    const vm = await vmOf('withcd');
    expect(vm.spec.cdrom).toBe('install');
    expect(readFileSync(`/proc/${vm.pid!}/cmdline`, 'utf8')).toContain('ide-cd');
    const inUse = (await daemon.client.call('deleteImage', { params: { id: 'install' } }).catch((e: unknown) => e)) as HerdError;
    expect(inUse.status).toBe(409);
  }, 120_000);

  it('leaves no disk, key or layer behind once every VM and volume is gone', async () => {
    for (const n of ['withcd', 'fromgold', 'st1r']) expect((await daemon.cli(['vm', 'delete', n])).code).toBe(0);
    expect(await daemon.client.call('listVolumes', {})).toEqual([]);
    expect(readdirSync(join(daemon.dataDir, 'pools', 'default'))).toEqual([]);
    expect(existsSync(join(daemon.dataDir, 'keys')) ? readdirSync(join(daemon.dataDir, 'keys')) : []).toEqual([]);
  }, 120_000);

  it('kept every request and response within the OpenAPI document', () => {
    expect(contractViolations).toEqual([]);
  });
});
