/**
 * Placement on a real daemon, a cluster of one host: a VM goes to the host the scheduler picks,
 * a VM no host can take is refused with each host's reason and leaves nothing behind, groups and
 * pins are honoured, clones are placed too, and `explain-placement` says why. No guest boots.
 */
import type { HerdClient } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { contractViolations } from '../helpers/openapi-check.js';

const daemon = new DaemonProcess();
let api: HerdClient;
let host: string;
let cpus: number;

beforeAll(async () => {
  await daemon.start();
  api = daemon.client;
  await api.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  const [me] = await api.call('listHosts');
  host = me!.name;
  cpus = me!.cpus;
}, 180_000);

afterAll(async () => {
  for (const vm of await api.call('listVms')) await api.call('deleteVm', { params: { id: vm.id }, query: { wait: true } }).catch(() => undefined);
  await daemon.destroy();
});

/** A small VM without NICs. */
const small = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: 'tiny', memoryMiB: 128, nics: [], ...extra });

describe('placement', () => {
  it('puts a VM on the host and shows its placement, priority and HA', async () => {
    await api.call('createVm', {
      body: small('db1', { placement: { selector: {}, groups: [{ name: 'db', policy: 'anti-affinity' }] }, priority: 50, ha: true }),
      query: { wait: true },
    });
    const vm = await api.call('getVm', { params: { id: 'db1' } });
    expect(vm).toMatchObject({ host, priority: 50, ha: true, placement: { selector: {}, groups: [{ name: 'db', policy: 'anti-affinity', hard: true }] } });
    const updated = await api.call('updateVm', { params: { id: 'db1' }, body: { priority: -3, ha: false } });
    expect(updated).toMatchObject({ priority: -3, ha: false });
  }, 60_000);

  it('refuses a VM no host can take, with each host’s reason, and leaves nothing behind', async () => {
    await expect(api.call('createVm', { body: small('mars', { placement: { selector: { zone: 'mars' } } }) })).rejects.toMatchObject({
      status: 409,
      code: 'no_host_fits',
      details: { vm: 'mars', hosts: [{ host, filter: 'labels', reason: 'wants zone=mars, host has no zone label' }] },
    });
    const wide = 16 * cpus + 1;
    await expect(api.call('createVm', { body: small('wide', { cpus: Math.min(wide, 64) }) })).rejects.toMatchObject(
      wide <= 64 ? { code: 'no_host_fits', message: expect.stringContaining(`capacity (needs ${wide} vCPUs, has ${16 * cpus - 1} free of ${cpus}×16.0)`) } : { code: 'validation_failed' },
    );
    // The second member of a hard anti-affinity group has no host left: db1 holds the only one.
    await expect(api.call('createVm', { body: small('db2', { placement: { groups: [{ name: 'db', policy: 'anti-affinity' }] } }) })).rejects.toMatchObject({
      code: 'no_host_fits',
      details: { hosts: [{ host, filter: 'anti-affinity', reason: 'group db already has 1 of max 1 here' }] },
    });
    const names = (await api.call('listVms')).map((v) => v.name);
    expect(names).toEqual(['db1']);
    expect((await api.call('listVolumes')).map((v) => v.name)).toEqual(['db1-root']);
  }, 60_000);

  it('keeps a VM to the host it is pinned to, and refuses a host that does not exist', async () => {
    await api.call('createVm', { body: small('pinned', { host }), query: { wait: true } });
    expect((await api.call('getVm', { params: { id: 'pinned' } })).host).toBe(host);
    await expect(api.call('createVm', { body: small('lost', { host: 'no-such-host' }) })).rejects.toMatchObject({ status: 404, code: 'not_found' });
  }, 60_000);

  it('places clones: a linked clone of a group member is refused at once, with the reason', async () => {
    await expect(api.call('cloneVm', { params: { id: 'db1' }, body: { name: 'db1-copy', mode: 'linked' } })).rejects.toMatchObject({
      code: 'no_host_fits',
      message: expect.stringContaining('group db already has 1 of max 1 here'),
    });
    const op = await api.call('cloneVm', { params: { id: 'pinned' }, body: { name: 'pinned-copy', mode: 'linked' }, query: { wait: true } });
    expect(op.status).toBe('succeeded');
    expect((await api.call('getVm', { params: { id: 'pinned-copy' } })).host).toBe(host);
  }, 120_000);

  it('explains where a VM would go, through the API and the CLI', async () => {
    const e = await api.call('explainPlacement', { params: { id: 'db1' } });
    expect(e).toMatchObject({ vm: 'db1', host, chosen: host });
    expect(e.hosts).toHaveLength(1);
    expect(e.hosts[0]).toMatchObject({ name: host, fits: true, rejections: [] });
    expect(Object.keys(e.hosts[0]!.weights)).toContain('spread');
    const r = await daemon.cli(['vm', 'explain-placement', 'db1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`vm 'db1' is on ${host}; placed now, it would go to ${host} (*)`);
    expect(r.stdout).toMatch(/^HOST\s+FITS\s+SCORE\s+WHY$/m);
    const refused = await daemon.cli(['vm', 'create', 'db3', '--image', 'tiny', '--memory', '128M', '--no-network', '--group', 'db:anti-affinity']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('anti-affinity (group db already has 1 of max 1 here)');
    expect(contractViolations).toEqual([]);
  }, 60_000);
});
