/**
 * Images imported from disk files boot through firmware; events stream every change;
 * operations are listed and waited for; a guest that ignores ACPI is forced off after the
 * grace period; `?wait=true` gives back a finished operation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { HerdEvent } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { pidsWithArg } from '../helpers/host-state.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

const daemon = new DaemonProcess();
const scratch = mkdtempSync('/tmp/herd-img-');

beforeAll(async () => {
  await daemon.start();
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
}, 300_000);

afterAll(async () => {
  await daemon.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

describe('images, events and operations', () => {
  it('imports a raw disk image (format from qemu-img), and a VM from it runs through firmware', async () => {
    const raw = join(scratch, 'blank.img');
    expect(spawnSync('qemu-img', ['create', '-q', '-f', 'raw', raw, '32M']).status).toBe(0);
    const r = await daemon.cli(['image', 'import', 'blank', raw, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const image = await daemon.client.call('getImage', { params: { id: 'blank' } });
    expect(image).toMatchObject({ name: 'blank', kind: 'disk', format: 'raw', virtualSize: 32 * 1024 * 1024 });
    const op = await daemon.client.call('createVm', { body: { name: 'fw', image: 'blank', memoryMiB: 128, start: true }, query: { wait: true } });
    expect(op.status).toBe('succeeded');
    const vm = await daemon.client.call('getVm', { params: { id: 'fw' } });
    expect(vm.state).toBe('running');
    expect(pidsWithArg(vm.id)).toEqual([vm.pid]);
    expect((await daemon.cli(['image', 'delete', 'blank'])).code).toBe(4);
    await daemon.client.call('deleteVm', { params: { id: 'fw' }, query: { wait: true } });
    expect((await daemon.cli(['image', 'delete', 'blank'])).code).toBe(0);
    expect((await daemon.client.call('listImages')).map((i) => i.name)).toEqual(['tiny']);
  });

  it('streams events as server-sent events, replaying from a sequence number', async () => {
    const seen: HerdEvent[] = [];
    const abort = new AbortController();
    const last = (await daemon.client.call('listEvents', { query: { limit: 1 } })).at(-1)?.seq ?? 0;
    const stream = daemon.client.streamEvents((e) => seen.push(e), { since: last, signal: abort.signal });
    await daemon.client.call('createVm', { body: { name: 'ev', image: 'tiny', memoryMiB: 128, start: true }, query: { wait: true } });
    await daemon.client.call('deleteVm', { params: { id: 'ev' }, query: { wait: true } });
    await waitFor('vm.deleted event', () => (seen.some((e) => e.type === 'vm.deleted') ? true : undefined), 10_000);
    abort.abort();
    await stream;
    const types = seen.filter((e) => e.target.name === 'ev').map((e) => `${e.type}${e.type === 'vm.state' ? `:${String(e.data.to)}` : ''}`);
    expect(types).toEqual(['vm.created', 'vm.state:starting', 'vm.state:running', 'vm.state:stopped', 'vm.deleted']);
    const seqs = seen.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[0]).toBe(last + 1);
  });

  it('forces off a guest that ignores the ACPI power button once the grace period ends', async () => {
    await daemon.client.call('createVm', {
      body: { name: 'deaf', image: 'tiny', memoryMiB: 128, start: true },
      query: { wait: true },
    });
    await waitFor('guest ready', async () => ((await daemon.client.call('getVmConsole', { params: { id: 'deaf' } })).includes('HERD-GUEST-READY') ? true : undefined), 60_000, 250);
    // The tiny guest's acpid turns the power button into a poweroff; without it the guest is deaf.
    const r = await daemon.cli(['vm', 'console', 'deaf', '--quiet-ms', '500'], 'killall acpid; echo acpid-$((40+2))-gone\n');
    expect(r.stdout).toContain('acpid-42-gone');
    const started = Date.now();
    const op = await daemon.client.call('stopVm', { params: { id: 'deaf' }, body: { timeoutSeconds: 2 } });
    expect(op.status).toBe('running');
    expect((await daemon.client.call('getVm', { params: { id: 'deaf' } })).state).toBe('stopping');
    const finished = await daemon.client.waitOperation(op.id, 30);
    expect(finished.status).toBe('succeeded');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const vm = await daemon.client.call('getVm', { params: { id: 'deaf' } });
    expect(vm.state).toBe('stopped');
    expect(vm.status.reason).toBe('stopped by request (forced)');
  });

  it('lists operations newest first and waits for one with the CLI', async () => {
    const op = await daemon.client.call('startVm', { params: { id: 'deaf' } });
    const w = await daemon.cli(['op', 'wait', op.id, '-o', 'json']);
    expect(w.code, w.stderr).toBe(0);
    expect(JSON.parse(w.stdout)).toMatchObject({ id: op.id, kind: 'vm.start', status: 'succeeded' });
    const ops = await daemon.client.call('listOperations', { query: { limit: 5 } });
    expect(ops[0]?.id).toBe(op.id);
    const stopped = await daemon.client.call('stopVm', { params: { id: 'deaf' }, body: { force: true }, query: { wait: true } });
    expect(stopped).toMatchObject({ status: 'succeeded', kind: 'vm.stop' });
    expect((stopped.result as { vm: { state: string } }).vm.state).toBe('stopped');
  });

  it('a VM that asks for KVM on a host without it is refused with the reason', async () => {
    const host = await daemon.client.call('getHost', { params: { id: 'local' } });
    if (host.kvmUsable) return;
    const e = await daemon.client.call('createVm', { body: { name: 'kvm', image: 'tiny', accel: 'kvm' } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 422, code: 'accel_unavailable' });
    expect((e as Error).message).toContain(host.accelReason);
  });

  it('answered every call as the OpenAPI document says', () => {
    expect(contractViolations).toEqual([]);
  });
});
