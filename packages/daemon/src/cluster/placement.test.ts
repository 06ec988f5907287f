import { HerdError } from '@herd/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import type { HostsTable, VmRow } from '../store/schema.js';
import { defaultProjectId } from '../tenancy/request-scope.js';
import { VmRepo } from '../vm/vm-repo.js';
import { chooseHost, placeVm } from './placement.js';
import { explainPlacement } from './placement-explanation.js';
import { placementColumn, vmRequestOf } from './placement-request.js';
import { PlacementService } from './placement-service.js';
import { readPlacementView } from './placement-view.js';
import { GiB, addHost as addHostTo, addVm as addVmTo, placementDb, vmRow } from './testing/placement-fixtures.js';

const otherProject = '00000000-0000-4000-8000-0000000000ff';

let db: Db;
let close: () => Promise<void>;

beforeEach(async () => {
  ({ db, close } = await placementDb());
  await db.insertInto('projects').values({ id: otherProject, name: 'other', description: '', limits: '{}', created_at: new Date().toISOString() }).onConflict((oc) => oc.doNothing()).execute();
});
afterEach(() => close());

const addHost = (name: string, over: Partial<HostsTable> = {}) => addHostTo(db, name, over);
const addVm = (name: string, host: string, over: Partial<VmRow> = {}) => addVmTo(db, name, host, over);

const groups = (...gs: { name: string; policy: 'affinity' | 'anti-affinity'; hard?: boolean; maxPerHost?: number }[]) => placementColumn({ groups: gs });

describe('the placement view', () => {
  it('sums what the VMs on each host claim, counting a migrating VM on both hosts and a deleting one nowhere', async () => {
    for (const h of ['a', 'b', 'c']) await addHost(h);
    await addVm('v1', 'a', { cpus: 2, memory_mib: 2048, disk_bytes: 10 * GiB });
    await addVm('v2', 'a', { cpus: 1, memory_mib: 512, disk_bytes: 1.5 * GiB }); // counts 2 GiB: whole GiB, rounded up
    await addVm('v3', 'b', { cpus: 3, memory_mib: 1024, disk_bytes: GiB, migrating_to: 'c' });
    await addVm('gone', 'c', { cpus: 4, deleting: 1 });
    const view = await readPlacementView(db);
    expect(view.down).toEqual([]);
    expect(Object.fromEntries(view.hosts.map((h) => [h.name, h.used]))).toEqual({
      a: { vcpus: 3, memoryMiB: 2560, diskGiB: 12 },
      b: { vcpus: 3, memoryMiB: 1024, diskGiB: 1 },
      c: { vcpus: 3, memoryMiB: 1024, diskGiB: 1 },
    });
    const without = await readPlacementView(db, { ignoreVm: (await db.selectFrom('vms').select('id').where('name', '=', 'v1').executeTakeFirstOrThrow()).id });
    expect(without.hosts.find((h) => h.name === 'a')!.used).toEqual({ vcpus: 1, memoryMiB: 512, diskGiB: 2 });
  });

  it('counts group members per host, each project’s groups apart', async () => {
    await addHost('a');
    await addHost('b');
    await addVm('db1', 'a', { placement: groups({ name: 'db', policy: 'anti-affinity' }) });
    await addVm('db2', 'a', { placement: groups({ name: 'db', policy: 'anti-affinity' }, { name: 'web', policy: 'affinity', hard: false }) });
    await addVm('db3', 'b', { placement: groups({ name: 'db', policy: 'anti-affinity' }), project_id: otherProject });
    const view = await readPlacementView(db);
    expect(view.hosts.map((h) => [h.name, h.groups])).toEqual([
      ['a', { [`db@${defaultProjectId}`]: 2, [`web@${defaultProjectId}`]: 1 }],
      ['b', { [`db@${otherProject}`]: 1 }],
    ]);
  });

  it('leaves out offline hosts and hosts whose lease ran out, saying why, and marks hosts not active as in maintenance', async () => {
    await addHost('up', { labels: '{"zone":"a"}', overcommit: '{"cpu":2}', load_cpu: 1.7, pools: '["default","ceph"]' });
    await addHost('drain', { mode: 'draining' });
    await addHost('maint', { mode: 'maintenance' });
    await addHost('fenced', { status: 'offline' });
    await addHost('late', { lease_expires_at: new Date(Date.now() - 1000).toISOString() });
    await addHost('broken', { labels: '["zone"]' });
    const view = await readPlacementView(db);
    expect(view.hosts.map((h) => [h.name, h.maintenance])).toEqual([
      ['drain', true],
      ['maint', true],
      ['up', false],
    ]);
    expect(view.hosts[2]).toMatchObject({ labels: { zone: 'a' }, overcommit: { cpu: 2 }, load: { cpu: 1 }, pools: ['default', 'ceph'], accel: 'kvm', cpus: 4, memoryMiB: 8192, diskGiB: 100 });
    expect(view.down.map((d) => [d.host, d.filter])).toEqual([
      ['broken', 'record'],
      ['fenced', 'online'],
      ['late', 'online'],
    ]);
    expect(view.down[1]!.reason).toBe('host is offline (fenced after its lease ran out)');
    expect(view.down[2]!.reason).toMatch(/^host's lease ran out at \S+ \(last heartbeat \S+\)$/);
  });
});

describe('placing VMs', () => {
  it('never overcommits a host or breaks a hard anti-affinity group, with 20 creates at once', async () => {
    // 2 threads, no overcommit: room for 2 one-vCPU VMs per host, 6 in all.
    for (const h of ['a', 'b', 'c']) await addHost(h, { cpus: 2, overcommit: '{"cpu":1}' });
    const vms = new VmRepo(db, new EventLog(db));
    const placement = new PlacementService(db);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        const row = vmRow(`v${i}`, 'nowhere', { placement: i % 2 === 0 ? groups({ name: 'db', policy: 'anti-affinity' }) : '{}' });
        return vms.insert(row, placement.placer({ pool: 'default', networks: [] }));
      }),
    );
    const placed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(placed).toHaveLength(6);
    for (const e of refused) expect(e).toMatchObject({ code: 'no_host_fits', status: 409 });
    const rows = await db.selectFrom('vms').selectAll().execute();
    expect(rows).toHaveLength(6);
    for (const h of ['a', 'b', 'c']) {
      const on = rows.filter((r) => r.host === h);
      expect(on.reduce((n, r) => n + r.cpus, 0)).toBeLessThanOrEqual(2);
      expect(on.filter((r) => r.placement !== '{}').length).toBeLessThanOrEqual(1);
    }
    expect(new Set(placed.map((r) => r.host))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('spreads VMs over the hosts: the emptiest first', async () => {
    await addHost('a');
    await addHost('b');
    await addVm('big', 'a', { memory_mib: 4096 });
    const host = await db.transaction().execute((trx) => placeVm(trx, vmRequestOf(vmRow('v', '-'), { pool: 'default' })));
    expect(host).toBe('b');
  });

  it('refuses with every host’s reason, the message grouping hosts refused alike', async () => {
    await addHost('a', { mode: 'maintenance' });
    await addHost('b', { mode: 'maintenance' });
    await addHost('c', { labels: '{"zone":"x"}' });
    await addHost('d', { labels: '{"zone":"x"}' });
    await addHost('e', { status: 'offline' });
    await addVm('db1', 'd', { placement: groups({ name: 'db', policy: 'anti-affinity' }) });
    const row = vmRow('db2', '-', { memory_mib: 13000, placement: placementColumn({ selector: { zone: 'x' }, groups: [{ name: 'db', policy: 'anti-affinity' }] }) });
    const e = await db
      .transaction()
      .execute((trx) => placeVm(trx, vmRequestOf(row, { pool: 'default' })))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HerdError);
    const err = e as HerdError;
    expect(err.code).toBe('no_host_fits');
    expect(err.details.hosts).toEqual([
      { host: 'a', filter: 'maintenance', reason: 'host is in maintenance' },
      { host: 'b', filter: 'maintenance', reason: 'host is in maintenance' },
      { host: 'c', filter: 'capacity', reason: 'needs 13000 MiB memory, has 12288 MiB free of 8192×1.5' },
      { host: 'd', filter: 'capacity', reason: 'needs 13000 MiB memory, has 11264 MiB free of 8192×1.5' },
      { host: 'e', filter: 'online', reason: 'host is offline (fenced after its lease ran out)' },
    ]);
    expect(err.message).toBe(
      "no host fits VM db2 (5 hosts): a, b: maintenance (host is in maintenance); c: capacity (needs 13000 MiB memory, has 12288 MiB free of 8192×1.5); d: capacity (needs 13000 MiB memory, has 11264 MiB free of 8192×1.5); e: online (host is offline (fenced after its lease ran out)); free room on a host, ask for less, or relax the VM's host, selector or groups (details.hosts has each host's reason)",
    );
  });

  it('filters on a pool or network only once some host has reported it', async () => {
    await addHost('a', { networks: '["default"]', pools: '["default"]' });
    await addHost('b', { networks: '["default","dmz"]', pools: '["default"]', status: 'offline' });
    const place = (networks: string[], pool: string) => db.transaction().execute((trx) => placeVm(trx, vmRequestOf(vmRow('v', '-'), { pool, networks })));
    // Made a moment ago, in no heartbeat yet: it tells no host apart.
    expect(await place(['default', 'fresh'], 'fast')).toBe('a');
    // b reports dmz (though b is down): a, which does not, is refused.
    await expect(place(['dmz'], 'default')).rejects.toMatchObject({ code: 'no_host_fits', details: { hosts: [{ host: 'a', filter: 'networks', reason: 'lacks network dmz' }, { host: 'b', filter: 'online' }] } });
  });

  it('keeps a pinned VM to its host, still judged by the filters, naming groups as the user did', async () => {
    await addHost('a');
    await addHost('b', { labels: '{"gpu":"yes"}' });
    await addVm('db1', 'a', { placement: groups({ name: 'db', policy: 'anti-affinity' }) });
    const place = (row: VmRow, pin: string) => db.transaction().execute((trx) => placeVm(trx, vmRequestOf(row, {}), { pin }));
    expect(await place(vmRow('v', '-'), 'a')).toBe('a');
    await expect(place(vmRow('db2', '-', { placement: groups({ name: 'db', policy: 'anti-affinity' }) }), 'a')).rejects.toMatchObject({
      code: 'no_host_fits',
      details: { hosts: [{ host: 'a', filter: 'anti-affinity', reason: 'group db already has 1 of max 1 here' }] },
    });
    await expect(place(vmRow('v', '-'), 'nope')).rejects.toMatchObject({ code: 'not_found', message: "host 'nope' does not exist; list them with `herd host list`" });
  });

  it('chooses another host for an existing VM, leaving out its own claim and the hosts excluded', async () => {
    await addHost('a', { cpus: 1, overcommit: '{"cpu":1}' });
    await addHost('b', { cpus: 1, overcommit: '{"cpu":1}' });
    await addHost('c', { cpus: 1, overcommit: '{"cpu":1}', labels: '{"zone":"far"}' });
    const vm = await addVm('v', 'a', { placement: placementColumn({ selector: {} }) });
    await addVm('w', 'b');
    // a is full with v alone, but v's own claim does not count against it.
    expect(await chooseHost(db, vm)).toBe('a');
    expect(await db.transaction().execute((trx) => chooseHost(trx, vm, { exclude: ['a'] }))).toBe('c');
    await expect(chooseHost(db, vm, { exclude: ['a', 'c'] })).rejects.toMatchObject({
      code: 'no_host_fits',
      details: {
        hosts: [
          { host: 'a', filter: 'exclude', reason: 'the VM is moving off this host' },
          { host: 'b', filter: 'capacity', reason: 'needs 1 vCPU, has 0 free of 1×1.0' },
          { host: 'c', filter: 'exclude', reason: 'the VM is moving off this host' },
        ],
      },
    });
  });
});

describe('explaining a placement', () => {
  it('lists the hosts that fit by score with their weights, then every refusal by host name', async () => {
    await addHost('a', { load_cpu: 0.5, labels: '{"zone":"y"}' });
    await addHost('b', { load_cpu: 0.5, labels: '{"zone":"y"}' });
    await addHost('c', { cpus: 1, overcommit: '{"cpu":1}', labels: '{"zone":"y"}' });
    await addHost('d', { lease_expires_at: new Date(Date.now() - 1).toISOString() });
    await addVm('other', 'b', { memory_mib: 4096 });
    const vm = await addVm('v', 'a', { cpus: 2, memory_mib: 4096, placement: placementColumn({ selector: { zone: 'y' } }) });
    const e = await explainPlacement(db, vm);
    // a holds v, but v's own claim is left out: a is as empty as a host can be.
    expect(e).toMatchObject({ vm: 'v', host: 'a', chosen: 'a' });
    expect(e.hosts.map((h) => [h.name, h.fits])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
      ['d', false],
    ]);
    expect(e.hosts[0]).toEqual({ name: 'a', fits: true, rejections: [], weights: { spread: 1, load: 0.5 }, score: 1.5 });
    expect(e.hosts[1]!.score).toBeLessThan(1.5);
    expect(e.hosts[2]).toEqual({ name: 'c', fits: false, rejections: [{ filter: 'capacity', reason: 'needs 2 vCPUs, has 1 free of 1×1.0' }], weights: {}, score: null });
    expect(e.hosts[3]!.rejections[0]!.filter).toBe('online');
  });

  it('gives every filter that refuses a host, not only the first', async () => {
    await addHost('a', { cpus: 1, overcommit: '{"cpu":1}', accel: 'tcg' });
    const vm = await addVm('v', 'elsewhere', { cpus: 2, accel_pref: 'kvm', placement: placementColumn({ selector: { zone: 'y' } }) });
    const e = await explainPlacement(db, vm);
    expect(e.chosen).toBeNull();
    expect(e.hosts[0]!.rejections).toEqual([
      { filter: 'accel', reason: 'needs KVM, host has only TCG' },
      { filter: 'labels', reason: 'wants zone=y, host has no zone label' },
      { filter: 'capacity', reason: 'needs 2 vCPUs, has 1 free of 1×1.0' },
    ]);
  });
});

describe('the placement column', () => {
  it('spells out hard, leaves out empty parts, and refuses what the schema cannot', () => {
    expect(placementColumn(undefined)).toBe('{}');
    expect(placementColumn({ selector: {}, groups: [] })).toBe('{}');
    expect(JSON.parse(placementColumn({ groups: [{ name: 'db', policy: 'anti-affinity', maxPerHost: 2 }] }))).toEqual({ groups: [{ name: 'db', policy: 'anti-affinity', hard: true, maxPerHost: 2 }] });
    expect(() => placementColumn({ groups: [{ name: 'db', policy: 'anti-affinity' }, { name: 'db', policy: 'affinity' }] })).toThrow(/group 'db' is listed twice/);
    expect(() => placementColumn({ groups: [{ name: 'db', policy: 'affinity', maxPerHost: 2 }] })).toThrow(/maxPerHost limits anti-affinity groups/);
  });
});
