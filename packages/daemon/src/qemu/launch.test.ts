import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownForVm } from '../confine/own-for-vm.js';
import { run } from '../host/exec.js';
import { isQemuOf, processState } from '../host/proc.js';
import { QEMU_SANDBOX } from './build-argv.js';
import { launchQemu, QemuAlreadyRunningError, QemuLaunchError } from './launch.js';
import type { LaunchSpec } from './launch-spec.js';
import { consoleSocketPath, pidfilePath, qmpSocketPath } from './launch-spec.js';

const root = mkdtempSync(join(tmpdir(), 'herd-launch-'));
const pids: number[] = [];

afterAll(() => {
  for (const pid of pids) if (processState(pid) === 'alive') process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function spec(dir: string, uuid: string, disks: LaunchSpec['disks']): LaunchSpec {
  return {
    uuid,
    name: 'launch-test',
    accel: 'tcg',
    cpus: 1,
    memoryMiB: 128,
    runDir: join(root, dir),
    consoleLog: join(root, dir, 'console.log'),
    boot: { kind: 'firmware' },
    disks,
    startPaused: true,
  };
}

describe('launchQemu', () => {
  it('fails with QEMU’s own message for a missing disk, and leaves no stale sockets', async () => {
    const missing = join(root, 'missing.qcow2');
    const s = spec('missing', '00000000-0000-4000-8000-000000000001', [{ id: 'root', path: missing, format: 'qcow2' }]);
    const err = await launchQemu(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QemuLaunchError);
    expect((err as QemuLaunchError).message).toBe(
      `qemu-system-x86_64: -blockdev driver=file,node-name=root-file,filename=${missing}: Could not open '${missing}': No such file or directory`,
    );
    expect(existsSync(qmpSocketPath(s.runDir))).toBe(false);
    expect(existsSync(consoleSocketPath(s.runDir))).toBe(false);
  });

  it('starts a detached QEMU from a runDir whose path contains a comma, and refuses to start it twice', async () => {
    const disk = join(root, 'disk,1.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    const uuid = '00000000-0000-4000-8000-000000000002';
    const s = spec('a,b', uuid, [{ id: 'root', path: disk, format: 'qcow2' }]);
    const { pid } = await launchQemu(s);
    pids.push(pid);
    expect(isQemuOf(pid, uuid)).toBe(true);
    expect(statSync(s.runDir).mode & 0o777).toBe(0o700);
    for (const p of [qmpSocketPath(s.runDir), consoleSocketPath(s.runDir), pidfilePath(s.runDir)]) expect(existsSync(p)).toBe(true);
    await expect(launchQemu(s)).rejects.toBeInstanceOf(QemuAlreadyRunningError);
    expect(isQemuOf(pid, uuid)).toBe(true);
  });

  it('starts a kernel-booted VM with a root disk (the disk must not claim bootindex 0 from -kernel)', async () => {
    const disk = join(root, 'kdisk.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    const uuid = '00000000-0000-4000-8000-000000000003';
    const s: LaunchSpec = {
      ...spec('kernel', uuid, [{ id: 'root', path: disk, format: 'qcow2' }]),
      boot: { kind: 'kernel', kernel: '/boot/vmlinuz-6.1.0-56-amd64', cmdline: 'console=ttyS0' },
    };
    const { pid } = await launchQemu(s);
    pids.push(pid);
    expect(isQemuOf(pid, uuid)).toBe(true);
  });

  // Root only: QEMU is started as another user. The uids are far from any of the daemon's (RUN_UID_BASE).
  it.skipIf(process.getuid?.() !== 0)('runs QEMU as runAs under its seccomp sandbox; a disk not handed to that user cannot be opened', async () => {
    chmodSync(root, 0o711);
    const runAs = { uid: 1_999_999_001, gid: 1_999_999_001 };
    const own = join(root, 'own.qcow2');
    const other = join(root, 'other.qcow2');
    for (const d of [own, other]) await run('qemu-img', ['create', '-q', '-f', 'qcow2', d, '64M']);
    await ownForVm(own, runAs);
    chmodSync(other, 0o600);

    const refused = { ...spec('refused', '00000000-0000-4000-8000-000000000004', [{ id: 'root', path: own, format: 'qcow2' }, { id: 'other', path: other, format: 'qcow2' }]), runAs };
    const err = await launchQemu(refused).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QemuLaunchError);
    expect((err as QemuLaunchError).message).toContain(`Could not open '${other}': Permission denied`);

    const s = { ...spec('confined', '00000000-0000-4000-8000-000000000005', [{ id: 'root', path: own, format: 'qcow2' }]), runAs };
    const { pid } = await launchQemu(s);
    pids.push(pid);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\t${runAs.uid}\\t${runAs.uid}\\t${runAs.uid}\\t${runAs.uid}$`, 'm'));
    expect(status).toMatch(/^Seccomp:\t2$/m);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain(QEMU_SANDBOX);
    // QEMU made its sockets and pidfile as that user, in a directory only it (and root) can enter.
    expect(statSync(s.runDir)).toMatchObject({ uid: runAs.uid, mode: expect.any(Number) });
    expect(statSync(s.runDir).mode & 0o777).toBe(0o700);
    expect(statSync(qmpSocketPath(s.runDir)).uid).toBe(runAs.uid);
    expect(statSync(s.consoleLog)).toMatchObject({ uid: runAs.uid });
  });
});
