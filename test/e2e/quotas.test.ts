/**
 * Project quotas: checked in the same transaction as the insert they guard, so concurrent
 * creates cannot slip under a limit together; refusals say the limit, the use and the request,
 * and leave nothing behind.
 */
import { HerdError, type HerdClient } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { filesUnder } from '../helpers/host-state.js';
import { join } from 'node:path';

const daemon = new DaemonProcess();
let q: HerdClient;

beforeAll(async () => {
  await daemon.start();
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  await daemon.client.call('createProject', { body: { name: 'small', limits: { vms: 5, vcpus: 8, memoryMiB: 1024, diskGiB: 2 } } });
  q = daemon.clientWith(daemon.token, 'small');
}, 120_000);

afterAll(async () => {
  for (const vm of await q.call('listVms')) await q.call('deleteVm', { params: { id: vm.id }, query: { wait: true } }).catch(() => undefined);
  await daemon.destroy();
});

describe('quotas', () => {
  it('lets exactly 5 of 20 concurrent creates through a limit of 5 VMs', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => q.call('createVm', { body: { name: `c${i}`, image: 'tiny', memoryMiB: 128 }, query: { wait: true } })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as HerdError);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const e of refused) {
      expect(e.code).toBe('quota_exceeded');
      expect(e.message).toContain("project 'small' would exceed its VM count limit: the limit is 5, it uses 5 and this asks for 1");
    }
    expect(await q.call('listVms')).toHaveLength(5);
    // The refused ones left no disk behind: five root volumes, five overlay files.
    expect((await q.call('listVolumes')).filter((v) => v.name.endsWith('-root'))).toHaveLength(5);
    expect(filesUnder(join(daemon.dataDir, 'pools')).filter((f) => f.endsWith('.qcow2'))).toHaveLength(5);
    const project = await daemon.client.call('getProject', { params: { id: 'small' } });
    expect(project.usage).toMatchObject({ vms: 5, vcpus: 5, memoryMiB: 640 });
  }, 180_000);

  it('counts vCPUs, memory and disk, and says what the request needed', async () => {
    await q.call('deleteVm', { params: { id: 'c0' }, query: { wait: true } }).catch(() => undefined);
    const survivor = (await q.call('listVms'))[0]!;
    await q.call('deleteVm', { params: { id: survivor.name }, query: { wait: true } });
    // 3 VMs left: 3 vCPUs, 384 MiB.
    await expect(q.call('createVm', { body: { name: 'fat', image: 'tiny', cpus: 6, memoryMiB: 128 } })).rejects.toMatchObject({
      code: 'quota_exceeded',
      message: expect.stringContaining('vCPU limit: the limit is 8, it uses 3 and this asks for 6'),
    });
    await expect(q.call('createVm', { body: { name: 'fat', image: 'tiny', memoryMiB: 700 } })).rejects.toMatchObject({
      message: expect.stringContaining('memory (MiB) limit: the limit is 1024, it uses 384 and this asks for 700'),
    });
    await expect(q.call('createVolume', { body: { name: 'big', sizeBytes: 3 * 1024 ** 3 } })).rejects.toMatchObject({
      code: 'quota_exceeded',
      message: expect.stringContaining('disk (GiB) limit: the limit is 2'),
    });
    expect((await q.call('listVolumes')).map((v) => v.name)).not.toContain('big');
    // A volume that fits, then a resize past the limit: refused, its size unchanged.
    await q.call('createVolume', { body: { name: 'fits', sizeBytes: 64 * 1024 ** 2 } });
    await expect(q.call('resizeVolume', { params: { id: 'fits' }, body: { sizeBytes: 4 * 1024 ** 3 } })).rejects.toMatchObject({ code: 'quota_exceeded' });
    expect((await q.call('getVolume', { params: { id: 'fits' } })).sizeBytes).toBe(64 * 1024 ** 2);
    await q.call('deleteVolume', { params: { id: 'fits' } });
    // The default project has no limits.
    await daemon.client.call('createVm', { body: { name: 'free', image: 'tiny', cpus: 6, memoryMiB: 128 }, query: { wait: true } });
    await daemon.client.call('deleteVm', { params: { id: 'free' }, query: { wait: true } });
  }, 120_000);

  it('raising a limit lets the next create through; a project with resources cannot be deleted', async () => {
    await daemon.client.call('updateProject', { params: { id: 'small' }, body: { limits: { vcpus: null } } });
    const p = await daemon.client.call('getProject', { params: { id: 'small' } });
    expect(p.limits).toMatchObject({ vms: 5, vcpus: null, memoryMiB: 1024 });
    await q.call('createVm', { body: { name: 'wide', image: 'tiny', cpus: 6, memoryMiB: 128 }, query: { wait: true } });
    await expect(daemon.client.call('deleteProject', { params: { id: 'small' } })).rejects.toMatchObject({ code: 'project_not_empty' });
  }, 60_000);
});
