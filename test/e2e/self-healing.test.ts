/**
 * Self-healing with real guests: restart policies with backoff and a cap, guest panics,
 * watchdogs, health checks through a user-mode port forward; every detection and every
 * healing action is an event with the reason.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { HerdEvent, Vm, VmCreate } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

const daemon = new DaemonProcess();

beforeAll(async () => {
  await daemon.start();
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
}, 300_000);

afterAll(async () => {
  await daemon.destroy();
});

const get = (name: string): Promise<Vm> => daemon.client.call('getVm', { params: { id: name } });

async function create(body: Omit<VmCreate, 'image' | 'start'>): Promise<Vm> {
  await daemon.client.call('createVm', { body: { image: 'tiny', memoryMiB: 128, start: true, ...body }, query: { wait: true } });
  return get(body.name);
}

async function ready(name: string, boots = 1): Promise<void> {
  await waitFor(`${name} ready`, async () => {
    const log = await daemon.client.call('getVmConsole', { params: { id: name }, query: { bytes: 1 << 20 } });
    return log.split('HERD-GUEST-READY').length > boots ? true : undefined;
  }, 90_000, 250);
}

async function type(name: string, line: string): Promise<string> {
  return (await daemon.cli(['vm', 'console', name, '--quiet-ms', '700'], `${line}\n`)).stdout;
}

async function eventsOf(name: string): Promise<HerdEvent[]> {
  return (await daemon.client.call('listEvents', { query: { since: 0, limit: 10000 } })).filter((e) => e.target.name === name);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('restart policies', () => {
  it('brings an on-failure VM back within 5 s of a kill; a `no` VM stays stopped', async () => {
    const healer = await create({ name: 'healer', restartPolicy: 'on-failure' });
    const plain = await create({ name: 'plain' });
    // Boots are counted by their ready lines in the console log (which QEMU appends to across
    // restarts), so let the first one finish.
    await ready('healer');
    const killedAt = Date.now();
    process.kill(healer.pid!, 'SIGKILL');
    process.kill(plain.pid!, 'SIGKILL');
    const back = await waitFor('healer running again', async () => {
      const v = await get('healer');
      return v.state === 'running' && v.pid !== healer.pid ? v : undefined;
    }, 10_000, 50);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(back.status.reason).toMatch(/restarted by its on-failure policy after: QEMU exited unexpectedly/);
    expect(back.status.restarts.recent).toBe(1);
    const p = await get('plain');
    expect(p.state).toBe('stopped');
    expect(p.desiredState).toBe('stopped');
    const types = (await eventsOf('healer')).map((e) => e.type);
    expect(types).toContain('vm.restart_scheduled');
    expect(types).toContain('vm.restarted');
    await daemon.client.call('deleteVm', { params: { id: 'plain' }, query: { wait: true } });
  });

  it('detects a guest kernel panic (pvpanic) and restarts the VM', async () => {
    await ready('healer', 2);
    const before = await get('healer');
    await type('healer', 'echo c > /proc/sysrq-trigger');
    const back = await waitFor('healer restarted after panic', async () => {
      const v = await get('healer');
      return v.state === 'running' && v.pid !== before.pid ? v : undefined;
    }, 30_000, 100);
    expect(back.status.reason).toMatch(/the guest kernel panicked/);
    const events = await eventsOf('healer');
    expect(events.some((e) => e.type === 'vm.panic')).toBe(true);
  });

  it('a guest power-off is not a failure for on-failure, but `always` restarts it', async () => {
    await daemon.client.call('updateVm', { params: { id: 'healer' }, body: { restartPolicy: 'always' } });
    await ready('healer', 3);
    const before = await get('healer');
    await type('healer', 'poweroff');
    const back = await waitFor('healer restarted after poweroff', async () => {
      const v = await get('healer');
      return v.state === 'running' && v.pid !== before.pid ? v : undefined;
    }, 30_000, 100);
    expect(back.status.reason).toMatch(/restarted by its always policy after: the guest powered off/);
    const set = await daemon.cli(['vm', 'set', 'healer', '--restart-policy', 'on-failure', '-o', 'json']);
    expect(set.code, set.stderr).toBe(0);
    expect((JSON.parse(set.stdout) as Vm).spec.restartPolicy).toBe('on-failure');
    await ready('healer', 4);
    await type('healer', 'poweroff');
    await waitFor('healer stopped', async () => ((await get('healer')).state === 'stopped' ? true : undefined), 30_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await get('healer')).state).toBe('stopped');
    await daemon.client.call('deleteVm', { params: { id: 'healer' }, query: { wait: true } });
  });

  it('backs off in a crash loop, then gives up and goes to error with the reason', async () => {
    let vm = await create({ name: 'loop', restartPolicy: 'on-failure', restartLimit: { maxRestarts: 2, windowSeconds: 600 } });
    const restartedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      const pid = vm.pid!;
      const killed = Date.now();
      process.kill(pid, 'SIGKILL');
      if (i === 2) break;
      vm = await waitFor(`loop back (${i + 1})`, async () => {
        const v = await get('loop');
        return v.state === 'running' && v.pid !== pid ? v : undefined;
      }, 20_000, 50);
      restartedAt.push(Date.now() - killed);
    }
    // The second restart waits twice as long as the first (1 s, then 2 s).
    expect(restartedAt[1]!).toBeGreaterThan(restartedAt[0]! + 500);
    const failed = await waitFor('loop in error', async () => {
      const v = await get('loop');
      return v.state === 'error' ? v : undefined;
    }, 10_000, 50);
    expect(failed.status.lastError).toMatch(/restarted 2 times within 600 s and failed again; the on-failure policy gave up/);
    expect(failed.desiredState).toBe('stopped');
    expect((await eventsOf('loop')).some((e) => e.type === 'vm.restart_gave_up')).toBe(true);
    // A start by the user is a fresh start.
    await daemon.client.call('startVm', { params: { id: 'loop' }, query: { wait: true } });
    expect((await get('loop')).status.restarts.recent).toBe(0);
    await daemon.client.call('deleteVm', { params: { id: 'loop' }, query: { wait: true } });
  });
});

describe('health checks and watchdog', () => {
  it('restarts a VM whose TCP health check stops answering', async () => {
    const port = await freePort();
    await create({
      name: 'web',
      restartPolicy: 'on-failure',
      portForwards: [{ hostPort: port, guestPort: 8080 }],
      healthCheck: { type: 'tcp', port, intervalSeconds: 1, timeoutSeconds: 2, retries: 2, startPeriodSeconds: 0 },
    });
    await ready('web');
    await type('web', 'mkdir -p /www && echo ok > /www/index.html && httpd -p 8080 -h /www && echo httpd-started');
    const healthy = await waitFor('web healthy', async () => {
      const v = await get('web');
      return v.status.health === 'healthy' ? v : undefined;
    }, 60_000, 200);
    await type('web', 'killall httpd');
    const back = await waitFor('web restarted', async () => {
      const v = await get('web');
      return v.state === 'running' && v.pid !== healthy.pid ? v : undefined;
    }, 30_000, 100);
    expect(back.status.reason).toMatch(/unhealthy: health check failed 2 times in a row/);
    const types = (await eventsOf('web')).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['vm.healthy', 'vm.unhealthy', 'vm.restart_scheduled', 'vm.restarted']));
    await daemon.client.call('deleteVm', { params: { id: 'web' }, query: { wait: true } });
  });

  it('notices a hung guest through its watchdog and restarts it', async () => {
    const vm = await create({ name: 'hang', restartPolicy: 'on-failure', watchdog: 'poweroff' });
    await ready('hang');
    // SIGKILL leaves the watchdog armed with nobody petting it: the guest looks hung.
    await type('hang', 'killall -9 watchdog');
    const back = await waitFor('hang restarted', async () => {
      const v = await get('hang');
      return v.state === 'running' && v.pid !== vm.pid ? v : undefined;
    }, 60_000, 200);
    expect(back.status.reason).toMatch(/the guest hung: its watchdog fired/);
    expect((await eventsOf('hang')).some((e) => e.type === 'vm.watchdog')).toBe(true);
    await daemon.client.call('deleteVm', { params: { id: 'hang' }, query: { wait: true } });
  });

  it('pauses a VM whose disk write fails (host out of space) and keeps it paused', async () => {
    // The default pool on a 3 MiB tmpfs: the guest's writes fill it.
    const pool = join(daemon.dataDir, 'pools', 'default');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', pool]);
    try {
      await create({ name: 'full', restartPolicy: 'on-failure' });
      await ready('full');
      void type('full', 'dd if=/dev/zero of=/data/fill bs=1M count=16; sync');
      const paused = await waitFor('full paused', async () => {
        const v = await get('full');
        return v.state === 'paused' ? v : undefined;
      }, 60_000, 200);
      expect(paused.status.reason).toMatch(/paused: write error on .*: no space left on the host; fix the cause, then resume it/);
      expect(paused.desiredState).toBe('paused');
      await new Promise((r) => setTimeout(r, 2000));
      expect((await get('full')).state).toBe('paused');
      expect((await eventsOf('full')).some((e) => e.type === 'vm.io-error')).toBe(true);
      await daemon.client.call('deleteVm', { params: { id: 'full' }, query: { wait: true } });
    } finally {
      execFileSync('umount', ['-l', pool]);
    }
  });

  it('answered every call as the OpenAPI document says', () => {
    expect(contractViolations).toEqual([]);
  });
});
