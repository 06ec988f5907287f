/**
 * Confinement end to end, against a daemon running as root: each VM's QEMU runs as a user of its
 * own, under QEMU's seccomp sandbox; one VM's user cannot read another VM's disk, key or console
 * log, nor enter its runtime directory; what QEMU opens after it started (a hot-plugged encrypted
 * volume and its key file) is handed to its user first, and taken back on detach. Every read is
 * tried for real, as the VM's uid, with setpriv (util-linux).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Operation, Vm } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { guestShell } from '../helpers/guest-shell.js';
import { waitFor } from '../helpers/wait.js';

const asRoot = process.getuid?.() === 0;
const daemon = new DaemonProcess();
const { sh, booted } = guestShell(daemon);
const wait = { wait: true, timeoutSeconds: 600 } as const;

beforeAll(async () => {
  if (!asRoot) return;
  await daemon.start();
  const build = await daemon.cli(['image', 'build', 'tiny']);
  expect(build.code, build.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  if (asRoot) await daemon.destroy();
});

const vmOf = (name: string): Promise<Vm> => daemon.client.call('getVm', { params: { id: name } });

/** The fields of /proc/PID/status a confined QEMU is judged by. */
function status(pid: number): { uids: number[]; gids: number[]; groups: string; seccomp: string; noNewPrivs: string } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\t(.*)$`, 'm').exec(text)?.[1] ?? '';
  return {
    uids: field('Uid').split('\t').map(Number),
    gids: field('Gid').split('\t').map(Number),
    groups: field('Groups').trim(),
    seccomp: field('Seccomp'),
    noNewPrivs: field('NoNewPrivs'),
  };
}

/** Runs `args` as `uid` (and gid `uid`, no other group), as a VM's QEMU would. */
function as(uid: number, args: string[]): { code: number; stderr: string } {
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}

/** The file of a volume in the default pool (named from its id). */
async function volumeFile(name: string): Promise<string> {
  const v = await daemon.client.call('getVolume', { params: { id: name } });
  return join(daemon.dataDir, 'pools', 'default', `${v.id}.qcow2`);
}



async function op(p: Promise<Operation>): Promise<Operation> {
  const o = await p;
  expect(o.status, JSON.stringify(o.error)).toBe('succeeded');
  return o;
}

describe.skipIf(!asRoot)('confined QEMU', () => {
  const uid: Record<string, number> = {};

  it('runs each VM’s QEMU as a non-root user of its own, in seccomp mode 2, and the guests boot', async () => {
    for (const name of ['ca', 'cb']) await op(daemon.client.call('createVm', { body: { name, image: 'tiny', memoryMiB: 128, start: true }, query: wait }));
    for (const name of ['ca', 'cb']) {
      const vm = await vmOf(name);
      // The pid herd reports is the one QEMU wrote to its pidfile.
      expect(Number(readFileSync(join(daemon.dataDir, 'run', vm.id, 'qemu.pid'), 'utf8').trim())).toBe(vm.pid);
      const s = status(vm.pid!);
      expect(new Set(s.uids).size, `Uid line of ${name}`).toBe(1);
      expect(s.uids[0]).toBeGreaterThanOrEqual(1_000_000_000);
      expect(s.gids).toEqual(s.uids);
      expect(s.groups).toBe('');
      expect(s.seccomp).toBe('2');
      expect(s.noNewPrivs).toBe('1');
      expect(readFileSync(`/proc/${vm.pid}/cmdline`, 'utf8').split('\0')).toContain('on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
      uid[name] = s.uids[0]!;
    }
    expect(uid.ca).not.toBe(uid.cb);
    await booted('ca');
    await booted('cb');
  }, 300_000);

  it('keeps one VM’s disk, console log and runtime directory from the other VM’s user', async () => {
    const [diskA, diskB] = [await volumeFile('ca-root'), await volumeFile('cb-root')];
    expect(statSync(diskA)).toMatchObject({ uid: uid.ca, gid: uid.ca });
    expect(statSync(diskA).mode & 0o777).toBe(0o600);
    expect(as(uid.ca!, ['cat', diskA]).code).toBe(0);
    expect(as(uid.cb!, ['cat', diskB]).code).toBe(0);
    const refused = as(uid.cb!, ['cat', diskA]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Permission denied/);
    expect(as(uid.ca!, ['cat', diskB]).stderr).toMatch(/Permission denied/);

    const a = await vmOf('ca');
    expect(as(uid.cb!, ['cat', join(daemon.dataDir, 'logs', `${a.id}.console.log`)]).stderr).toMatch(/Permission denied/);
    const runDir = join(daemon.dataDir, 'run', a.id);
    expect(statSync(runDir)).toMatchObject({ uid: uid.ca });
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    expect(as(uid.cb!, ['ls', runDir]).stderr).toMatch(/Permission denied/);
    // The runtime root and the pool can be passed through, not listed.
    expect(as(uid.cb!, ['ls', join(daemon.dataDir, 'run')]).stderr).toMatch(/Permission denied/);
    expect(as(uid.cb!, ['ls', join(daemon.dataDir, 'pools', 'default')]).stderr).toMatch(/Permission denied/);
  });

  it('hot-plugs an encrypted volume into a running VM: its file and key are its QEMU’s first, and the daemon’s again after detach', async () => {
    const v = await daemon.client.call('createVolume', { body: { name: 'csecret', sizeBytes: 32 * 2 ** 20, encrypted: true } });
    const file = await volumeFile('csecret');
    const key = join(daemon.dataDir, 'keys', `${v.id}.key`);
    // Not yet any VM's: no QEMU user can read it.
    expect(as(uid.ca!, ['cat', file]).stderr).toMatch(/Permission denied/);
    const attached = await op(daemon.client.call('attachVolume', { params: { id: 'csecret' }, body: { vm: 'ca' }, query: wait }));
    expect(attached.result).toMatchObject({ live: true });
    expect(await waitFor('the hot-plugged disk in the guest', async () => ((await sh('ca', 'cat /sys/block/vdb/size')) === '65536' ? true : undefined), 20_000, 500)).toBe(true);
    expect(await sh('ca', 'dd if=/dev/urandom of=/dev/vdb bs=4k count=4 2>/dev/null && echo written')).toBe('written');
    for (const f of [file, key]) {
      expect(statSync(f)).toMatchObject({ uid: uid.ca, gid: uid.ca });
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(as(uid.cb!, ['cat', f]).stderr).toMatch(/Permission denied/);
    }
    expect(readFileSync(`/proc/${(await vmOf('ca')).pid}/cmdline`, 'utf8')).not.toContain(readFileSync(key, 'utf8'));

    await op(daemon.client.call('detachVolume', { params: { id: 'csecret' }, body: {}, query: wait }));
    for (const f of [file, key]) {
      expect(statSync(f)).toMatchObject({ uid: 0, gid: 0 });
      expect(as(uid.ca!, ['cat', f]).stderr).toMatch(/Permission denied/);
    }
    await daemon.client.call('deleteVolume', { params: { id: 'csecret' } });
  }, 180_000);

  it('starts a VM again as the same user, and gives a new VM a user never given before', async () => {
    expect((await daemon.cli(['vm', 'restart', 'ca', '--force'])).code).toBe(0);
    await booted('ca');
    expect(status((await vmOf('ca')).pid!).uids[0]).toBe(uid.ca);
    await daemon.client.call('deleteVm', { params: { id: 'cb' }, query: wait });
    await op(daemon.client.call('createVm', { body: { name: 'cc', image: 'tiny', memoryMiB: 128, start: true }, query: wait }));
    const cc = status((await vmOf('cc')).pid!).uids[0]!;
    expect(cc).not.toBe(uid.cb);
    expect(cc).toBeGreaterThan(Math.max(uid.ca!, uid.cb!));
  }, 240_000);
});
