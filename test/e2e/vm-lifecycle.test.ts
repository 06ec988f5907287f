/**
 * The foundation, end to end against real QEMU: build the tiny image, create a VM from the
 * CLI, see it boot on its serial console, type into it, pause/resume, stop (ACPI), restart,
 * delete, and find nothing left behind.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Vm } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { filesUnder, pidsWithArg } from '../helpers/host-state.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

const daemon = new DaemonProcess();

beforeAll(async () => {
  await daemon.start();
  const build = await daemon.cli(['image', 'build', 'tiny']);
  expect(build.code, build.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await daemon.destroy();
});

async function vm(name: string): Promise<Vm> {
  return daemon.client.call('getVm', { params: { id: name } });
}

describe('a VM from create to delete', () => {
  let id = '';
  let pid = 0;

  it('is created and started from the CLI, and reports its accelerator and pid', async () => {
    const r = await daemon.cli(['vm', 'create', 'alpha', '--image', 'tiny', '--memory', '128M', '--start', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout) as Vm;
    expect(created.name).toBe('alpha');
    expect(created.state).toBe('running');
    expect(created.accel).toBe('tcg');
    expect(created.pid).toBeGreaterThan(0);
    id = created.id;
    pid = created.pid!;
    expect(pidsWithArg(id)).toEqual([pid]);
    const host = JSON.parse((await daemon.cli(['host', 'show', '-o', 'json'])).stdout) as { accel: string; accelReason: string };
    expect(host.accel).toBe('tcg');
    expect(host.accelReason.length).toBeGreaterThan(5);
  });

  it('boots: HERD-GUEST-READY appears on the console log', async () => {
    await waitFor('HERD-GUEST-READY', async () => ((await daemon.cli(['vm', 'console', 'alpha', '--log'])).stdout.includes('HERD-GUEST-READY') ? true : undefined), 60_000, 250);
  });

  it('answers a command typed into the console', async () => {
    const r = await daemon.cli(['vm', 'console', 'alpha', '--quiet-ms', '1500'], 'echo hello-$((6*7))\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello-42');
  });

  it('pauses and resumes', async () => {
    expect((await daemon.cli(['vm', 'pause', 'alpha'])).code).toBe(0);
    expect((await vm('alpha')).state).toBe('paused');
    const again = await daemon.cli(['vm', 'pause', 'alpha']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/cannot pause VM 'alpha' while it is paused/);
    expect((await daemon.cli(['vm', 'resume', 'alpha'])).code).toBe(0);
    const after = await vm('alpha');
    expect(after.state).toBe('running');
    expect(after.pid).toBe(pid);
    const r = await daemon.cli(['vm', 'console', 'alpha', '--quiet-ms', '1000'], 'echo still-$((1+1))\n');
    expect(r.stdout).toContain('still-2');
  });

  it('keeps writes to its root disk across a restart (a new QEMU process)', async () => {
    await daemon.cli(['vm', 'console', 'alpha', '--quiet-ms', '1000'], 'echo persisted > /data/mark; sync\n');
    const r = await daemon.cli(['vm', 'restart', 'alpha', '--timeout', '30', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const after = await vm('alpha');
    expect(after.state).toBe('running');
    expect(after.pid).not.toBe(pid);
    pid = after.pid!;
    await waitFor('second boot', async () => {
      const log = (await daemon.cli(['vm', 'console', 'alpha', '--log'])).stdout;
      return log.split('HERD-GUEST-READY').length > 2 ? true : undefined;
    }, 60_000, 250);
    const cat = await daemon.cli(['vm', 'console', 'alpha', '--quiet-ms', '1000'], 'cat /data/mark\n');
    expect(cat.stdout).toContain('persisted');
  });

  it('stops with an ACPI shutdown, and says so', async () => {
    const r = await daemon.cli(['vm', 'stop', 'alpha', '--timeout', '30']);
    expect(r.code, r.stderr).toBe(0);
    const after = await vm('alpha');
    expect(after.state).toBe('stopped');
    expect(after.pid).toBeNull();
    expect(after.status.reason).toBe('shut down by request (ACPI)');
    await waitFor('QEMU gone', () => (pidsWithArg(id).length === 0 ? true : undefined), 5_000);
    expect(existsSync(join(daemon.dataDir, 'run', id))).toBe(false);
  });

  it('is deleted with its disk, console log and runtime files', async () => {
    expect((await daemon.cli(['vm', 'start', 'alpha'])).code).toBe(0);
    expect((await daemon.cli(['vm', 'delete', 'alpha'])).code).toBe(0);
    const list = JSON.parse((await daemon.cli(['vm', 'list', '-o', 'json'])).stdout) as Vm[];
    expect(list).toEqual([]);
    await waitFor('QEMU gone', () => (pidsWithArg(id).length === 0 ? true : undefined), 5_000);
    const left = [...filesUnder(join(daemon.dataDir, 'run')), ...filesUnder(join(daemon.dataDir, 'pools')), ...filesUnder(join(daemon.dataDir, 'logs'))];
    expect(left).toEqual([]);
    const show = await daemon.cli(['vm', 'show', 'alpha']);
    expect(show.code).toBe(3);
  });

  it('answered every call as the OpenAPI document says', () => {
    expect(contractViolations).toEqual([]);
  });
});
