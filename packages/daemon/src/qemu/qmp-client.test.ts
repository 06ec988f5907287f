import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processState } from '../host/proc.js';
import { launchQemu } from './launch.js';
import type { LaunchSpec } from './launch-spec.js';
import { qmpSocketPath } from './launch-spec.js';
import { QmpClient } from './qmp-client.js';
import { QmpCommandError, QmpConnectError, QmpDisconnectedError, QmpTimeoutError } from './qmp-errors.js';
import type { QmpDisconnect } from './qmp-errors.js';
import { KvmInfoSchema } from './qmp-messages.js';
import type { QmpEvent } from './qmp-messages.js';

const KERNEL = '/boot/vmlinuz-6.1.0-56-amd64';
const root = mkdtempSync(join(tmpdir(), 'herd-qmp-'));
const pids: number[] = [];
const clients: QmpClient[] = [];

function spec(name: string, uuid: string): LaunchSpec {
  return {
    uuid,
    name,
    accel: 'tcg',
    cpus: 1,
    memoryMiB: 256,
    runDir: join(root, name),
    consoleLog: join(root, name, 'console.log'),
    // No root filesystem: the kernel prints its boot log and panics, which is all we need.
    boot: { kind: 'kernel', kernel: KERNEL, cmdline: 'console=ttyS0 panic=-1' },
    disks: [],
    startPaused: true,
  };
}

async function start(name: string, uuid: string): Promise<{ pid: number; spec: LaunchSpec }> {
  const s = spec(name, uuid);
  const { pid } = await launchQemu(s);
  pids.push(pid);
  return { pid, spec: s };
}

async function connect(s: LaunchSpec, onEvent?: (e: QmpEvent) => void): Promise<QmpClient> {
  const c = await QmpClient.connect(qmpSocketPath(s.runDir), { timeoutMs: 5_000, ...(onEvent ? { onEvent } : {}) });
  clients.push(c);
  return c;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(() => {
  for (const c of clients) c.close();
  for (const pid of pids) {
    if (processState(pid) === 'alive') {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    }
  }
  rmSync(root, { recursive: true, force: true });
});

describe('QmpClient against a real QEMU', () => {
  let vm: { pid: number; spec: LaunchSpec };
  let qmp: QmpClient;
  const events: QmpEvent[] = [];

  beforeAll(async () => {
    vm = await start('vm1', '11111111-2222-4333-8444-555555555555');
    qmp = await connect(vm.spec, (e) => events.push(e));
  });

  it('negotiates and reports QEMU’s version', () => {
    expect(qmp.connected).toBe(true);
    expect(qmp.greeting.QMP.version.qemu.major).toBeGreaterThanOrEqual(7);
  });

  it('reports a VM started with -S as not running (QEMU calls it "prelaunch", not "paused")', async () => {
    expect(await qmp.queryStatus()).toMatchObject({ status: 'prelaunch', running: false });
  });

  it('cont runs the VM, stop pauses it, and STOP/RESUME events arrive', async () => {
    await qmp.cont();
    expect(await qmp.queryStatus()).toMatchObject({ status: 'running', running: true });
    await qmp.stop();
    expect(await qmp.queryStatus()).toMatchObject({ status: 'paused', running: false });
    await qmp.cont();
    await waitFor('RESUME, STOP, RESUME', () => events.length >= 3);
    expect(events.map((e) => e.event)).toEqual(['RESUME', 'STOP', 'RESUME']);
    expect(events[0]?.timestamp.seconds).toBeGreaterThan(0);
  });

  it('writes guest output to the console log while no console client is connected', async () => {
    const log = vm.spec.consoleLog;
    // The bzImage decompresses itself under TCG first: seconds, and many more on a loaded host.
    await waitFor('kernel banner in the console log', () => existsSync(log) && readFileSync(log, 'utf8').includes('Linux version'), 50_000);
  }, 60_000);

  it('rejects an unknown command with QmpCommandError and stays usable', async () => {
    const err = await qmp.execute('no-such-command', undefined, KvmInfoSchema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpCommandError);
    expect(err).toMatchObject({ class: 'CommandNotFound', desc: "The command no-such-command has not been found" });
    expect((await qmp.queryStatus()).running).toBe(true);
  });

  it('matches concurrent commands to their replies by id', async () => {
    const [a, b, c] = await Promise.all([qmp.queryStatus(), qmp.execute('query-kvm', undefined, KvmInfoSchema), qmp.queryStatus()]);
    expect(a.status).toBe('running');
    expect(b).toEqual({ enabled: false, present: true });
    expect(c.status).toBe('running');
  });

  it('times out a command QEMU does not answer, then drops the late reply', async () => {
    process.kill(vm.pid, 'SIGSTOP');
    try {
      await expect(qmp.queryStatus({ timeoutMs: 200 })).rejects.toBeInstanceOf(QmpTimeoutError);
    } finally {
      process.kill(vm.pid, 'SIGCONT');
    }
    // The late query-status reply arrives first; it must not be taken for this command's reply.
    expect(await qmp.execute('query-kvm', undefined, KvmInfoSchema)).toEqual({ enabled: false, present: true });
  });

  it('cannot connect a second client while one is connected (QEMU serves one at a time)', async () => {
    const err = await QmpClient.connect(qmpSocketPath(vm.spec.runDir), { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpConnectError);
    expect((err as Error).message).toMatch(/no reply within 300 ms/);
  });

  it('sees kill -9 of QEMU as a disconnect within a second, rejecting pending commands', async () => {
    process.kill(vm.pid, 'SIGSTOP'); // so the command below is certainly still pending at the kill
    const pending = qmp.queryStatus({ timeoutMs: 10_000 }).catch((e: unknown) => e);
    const killedAt = Date.now();
    process.kill(vm.pid, 'SIGKILL');
    const d = await Promise.race([qmp.disconnected, new Promise<'late'>((r) => setTimeout(() => r('late'), 1_000))]);
    expect(d).toEqual({ reason: 'closed-by-peer' });
    expect(Date.now() - killedAt).toBeLessThan(1_000);
    const err = await pending;
    expect(err).toBeInstanceOf(QmpDisconnectedError);
    expect(qmp.connected).toBe(false);
    await expect(qmp.queryStatus()).rejects.toBeInstanceOf(QmpDisconnectedError);
    // Until init reaps it, the dead QEMU is a zombie: that counts as gone.
    expect(['zombie', 'gone']).toContain(processState(vm.pid));
  });
});

describe('QmpClient close and quit', () => {
  it('close() leaves QEMU running; quit() ends it and the connection', async () => {
    const vm = await start('vm2', '11111111-2222-4333-8444-666666666666');
    const first = await connect(vm.spec);
    const seen: QmpDisconnect[] = [];
    first.on('disconnected', (d) => seen.push(d));
    first.close();
    first.close();
    expect(await first.disconnected).toEqual({ reason: 'closed-by-client' });
    expect(seen).toEqual([{ reason: 'closed-by-client' }]);
    expect(processState(vm.pid)).toBe('alive');

    const second = await connect(vm.spec);
    const shutdowns: QmpEvent[] = [];
    second.on('event', (e) => e.event === 'SHUTDOWN' && shutdowns.push(e));
    await second.quit();
    expect(await second.disconnected).toEqual({ reason: 'closed-by-peer' });
    expect(shutdowns[0]?.data).toEqual({ guest: false, reason: 'host-qmp-quit' });
    await waitFor('QEMU to exit', () => processState(vm.pid) !== 'alive', 2_000);
  });

  it('fails to connect to a socket nobody listens on', async () => {
    const err = await QmpClient.connect(join(root, 'nothing.sock'), { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpConnectError);
    expect((err as Error).message).toMatch(/ENOENT/);
  });
});
