/**
 * VMs outlive the daemon: after `kill -9` of the daemon with three running VMs, a new daemon
 * reattaches to all three (same PIDs, none lost, none started twice). A QEMU killed behind
 * herd's back is seen as stopped, with the reason, within a second.
 */
import type { Vm } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { pidsWithArg } from '../helpers/host-state.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

const daemon = new DaemonProcess();
const names = ['one', 'two', 'three'];

beforeAll(async () => {
  await daemon.start();
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  for (const name of names)
    await daemon.client.call('createVm', { body: { name, image: 'tiny', memoryMiB: 128, start: true }, query: { wait: true } });
}, 300_000);

afterAll(async () => {
  await daemon.destroy();
});

describe('daemon restarts', () => {
  it('reattaches to every running VM after kill -9, with the same PIDs', async () => {
    const before = await daemon.client.call('listVms');
    expect(before.map((v) => v.state)).toEqual(['running', 'running', 'running']);
    const pids = new Map(before.map((v) => [v.id, v.pid]));

    await daemon.kill9();
    for (const v of before) expect(pidsWithArg(v.id)).toEqual([v.pid]);
    await daemon.start();

    const after = await daemon.client.call('listVms');
    for (const v of after) {
      expect(v.state).toBe('running');
      expect(v.pid).toBe(pids.get(v.id));
      expect(pidsWithArg(v.id)).toEqual([v.pid]);
    }
    // The reattached VMs are really under control again: pause and resume one over QMP.
    await daemon.client.call('pauseVm', { params: { id: 'two' }, query: { wait: true } });
    expect((await daemon.client.call('getVm', { params: { id: 'two' } })).state).toBe('paused');
    await daemon.client.call('resumeVm', { params: { id: 'two' }, query: { wait: true } });
  });

  it('sees a QEMU killed from outside as stopped, with the reason, within a second', async () => {
    const vm: Vm = await daemon.client.call('getVm', { params: { id: 'one' } });
    const killedAt = Date.now();
    process.kill(vm.pid!, 'SIGKILL');
    const stopped = await waitFor(
      'state stopped',
      async () => {
        const v = await daemon.client.call('getVm', { params: { id: 'one' } });
        return v.state === 'stopped' ? v : undefined;
      },
      5_000,
      20,
    );
    expect(Date.now() - killedAt).toBeLessThan(1000);
    expect(stopped.status.reason).toBe('QEMU exited unexpectedly (killed or crashed)');
    expect(stopped.desiredState).toBe('stopped');
    const events = await daemon.client.call('listEvents', { query: { limit: 50 } });
    expect(events.some((e) => e.type === 'vm.state' && e.target.name === 'one' && e.message.includes('killed or crashed'))).toBe(true);
  });

  it('notices a guest that powers itself off', async () => {
    await waitFor('guest ready', async () => {
      const text = await daemon.client.call('getVmConsole', { params: { id: 'three' } });
      return text.includes('HERD-GUEST-READY') ? true : undefined;
    }, 60_000, 250);
    const r = await daemon.cli(['vm', 'console', 'three', '--quiet-ms', '500'], 'poweroff\n');
    expect(r.code).toBe(0);
    const v = await waitFor('three stopped', async () => {
      const x = await daemon.client.call('getVm', { params: { id: 'three' } });
      return x.state === 'stopped' ? x : undefined;
    }, 20_000);
    expect(v.status.reason).toBe('the guest powered off');
  });

  it('finds a VM stopped while the daemon was down, and says so', async () => {
    const vm = await daemon.client.call('getVm', { params: { id: 'two' } });
    await daemon.kill9();
    process.kill(vm.pid!, 'SIGKILL');
    await waitFor('QEMU gone', () => (pidsWithArg(vm.id).length === 0 ? true : undefined), 5_000);
    await daemon.start();
    const after = await daemon.client.call('getVm', { params: { id: 'two' } });
    if (after.state !== 'stopped') console.log(daemon.logs.filter((l) => l.includes(vm.id) || l.includes('"two"')).join('\n'));
    expect(after.state).toBe('stopped');
    expect(after.status.reason).toBe('QEMU exited while the daemon was not running');
  });

  it('answered every call as the OpenAPI document says', () => {
    expect(contractViolations).toEqual([]);
  });
});
