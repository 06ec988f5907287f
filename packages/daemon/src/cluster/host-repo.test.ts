// The hosts table on both engines: registration, heartbeats, admin changes, fencing, removal.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../events/event-log.js';
import { openDatabase, type Db } from '../store/open-database.js';
import { sharedPostgres, stopSharedPostgres } from '../store/testing/postgres.js';
import { newVmRow } from '../vm/new-vm-row.js';
import { VmRepo } from '../vm/vm-repo.js';
import { HostRepo } from './host-repo.js';
import { registration } from './testing/registration.js';

const GiB = 1024 ** 3;
let dir: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'herd-host-repo-'));
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await stopSharedPostgres();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['sqlite', 'postgres'] as const)('the hosts table on %s', (dialect) => {
  async function open(): Promise<Db> {
    const target = dialect === 'sqlite' ? join(dir, `${randomUUID()}.db`) : await (await sharedPostgres()).createDatabase();
    const db = await openDatabase(target);
    closers.push(() => db.destroy());
    return db;
  }

  async function addVm(db: Db, name: string, host: string, extra: { cpus?: number; memory_mib?: number; disk_bytes?: number } = {}): Promise<string> {
    await db
      .insertInto('images')
      .values({ id: 'img', name: 'img', kind: 'disk', format: 'qcow2', disk_path: '/x.qcow2', kernel_path: null, initrd_path: null, kernel_cmdline: null, min_memory_mib: null, virtual_size: GiB, actual_size: 1, source: 'test', created_at: new Date().toISOString() })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const row = newVmRow({ name, host, cpus: extra.cpus ?? 2, memory_mib: extra.memory_mib ?? 512, disk_bytes: extra.disk_bytes ?? 3 * GiB, image_id: 'img', kernel_cmdline: null, accel_pref: 'auto' });
    await new VmRepo(db, new EventLog(db)).insert(row);
    return row.id;
  }

  it('registers a host, renews its lease, and keeps what administrators set across a re-registration', async () => {
    const db = await open();
    const repo = new HostRepo(db, new EventLog(db));
    const t0 = { startedAt: '2030-01-01T00:00:00.000Z', leaseMs: 10_000 };
    const before = await repo.now();
    const until = await repo.register(registration('h1'), t0);
    expect(Date.parse(until) - before.getTime()).toBeGreaterThanOrEqual(10_000);
    const first = await repo.get('h1');
    expect(first).toMatchObject({ name: 'h1', address: 'https://h1.example:8443', cpus: 8, memoryMiB: 16384, diskGiB: 500, labels: {}, mode: 'active', status: 'online', loadCpu: 0.25, pools: ['default'], accelReason: '/dev/kvm is missing', kvmUsable: false, startedAt: t0.startedAt });

    await repo.setLabels('h1', { zone: 'a', disk: 'ssd' });
    await repo.setOvercommit('h1', { cpu: 8, memory: 1.5 });
    await repo.setOvercommit('h1', { memory: null, disk: 2 });
    await repo.setMode('h1', 'maintenance');
    expect(await repo.get('h1')).toMatchObject({ labels: { disk: 'ssd', zone: 'a' }, overcommit: { cpu: 8, disk: 2 }, mode: 'maintenance' });
    expect((await repo.get('h1')).overcommit).not.toHaveProperty('memory');

    await sleep(5);
    expect(await repo.heartbeat('h1', { ...registration('h1'), cpus: 16, loadCpu: 0.5, networks: ['default'] }, t0)).toBe(true);
    const renewed = await repo.get('h1');
    expect(renewed.leaseExpiresAt > first.leaseExpiresAt).toBe(true);
    expect(renewed).toMatchObject({ cpus: 16, loadCpu: 0.5, networks: ['default'] });
    // Another process's heartbeat (another registration) renews nothing.
    expect(await repo.heartbeat('h1', registration('h1'), { ...t0, startedAt: '2030-01-02T00:00:00.000Z' })).toBe(false);
    expect(await repo.heartbeat('nope', registration('nope'), t0)).toBe(false);

    // A restart registers again: facts refreshed, administrators' settings kept.
    await repo.register(registration('h1', { qemuVersion: '9.0.0' }), { ...t0, startedAt: '2030-01-03T00:00:00.000Z' });
    expect(await repo.get('h1')).toMatchObject({ qemuVersion: '9.0.0', labels: { disk: 'ssd', zone: 'a' }, overcommit: { cpu: 8, disk: 2 }, mode: 'maintenance', status: 'online', startedAt: '2030-01-03T00:00:00.000Z' });
    expect((await repo.list()).map((h) => h.name)).toEqual(['h1']);
    await expect(repo.get('h9')).rejects.toMatchObject({ code: 'not_found' });
    await expect(repo.setLabels('h9', {})).rejects.toMatchObject({ code: 'not_found' });
    await expect(repo.setOvercommit('h9', { cpu: 2 })).rejects.toMatchObject({ code: 'not_found' });
    expect((await new EventLog(db).list(0, 100)).map((e) => e.type)).toEqual(['host.registered', 'host.updated', 'host.updated', 'host.updated', 'host.updated', 'host.registered']);
  });

  it('fences only a host whose lease really is the expired one, and the fenced host renews nothing until it registers again', async () => {
    const db = await open();
    const repo = new HostRepo(db);
    const terms = { startedAt: '2030-01-01T00:00:00.000Z', leaseMs: 150 };
    const seen = await repo.register(registration('h1'), terms);
    // Not expired yet: nothing happens.
    expect(await repo.markOffline('h1', seen)).toBe(false);
    await sleep(200);
    // It renewed meanwhile: the leader's stale view fences nothing.
    expect(await repo.heartbeat('h1', registration('h1'), { ...terms, leaseMs: 20 })).toBe(true);
    expect(await repo.markOffline('h1', seen)).toBe(false);
    await sleep(50);
    const late = await repo.get('h1');
    expect(await repo.markOffline('h1', late.leaseExpiresAt)).toBe(true);
    expect(await repo.markOffline('h1', late.leaseExpiresAt)).toBe(false);
    expect((await repo.get('h1')).status).toBe('offline');
    expect(await repo.heartbeat('h1', registration('h1'), terms)).toBe(false);
    await repo.register(registration('h1'), terms);
    expect((await repo.get('h1')).status).toBe('online');
  });

  it('sums what the VMs assigned to a host claim, and removes only dead, empty hosts', async () => {
    const db = await open();
    const repo = new HostRepo(db);
    await repo.register(registration('h1'), { startedAt: '2030-01-01T00:00:00.000Z', leaseMs: 10_000 });
    await repo.register(registration('h2'), { startedAt: '2030-01-01T00:00:00.000Z', leaseMs: 50 });
    await addVm(db, 'a', 'h1', { cpus: 2, memory_mib: 512, disk_bytes: 3 * GiB });
    await addVm(db, 'b', 'h1', { cpus: 4, memory_mib: 1024, disk_bytes: GiB / 2 });
    const doomed = await addVm(db, 'c', 'h1', { cpus: 16, memory_mib: 8192, disk_bytes: GiB });
    await db.updateTable('vms').set({ deleting: 1 }).where('id', '=', doomed).execute();
    await addVm(db, 'x', 'h2');
    const usage = await repo.usage();
    // The VM being deleted still counts as a VM of the host, but claims nothing any more.
    expect(usage.get('h1')).toEqual({ vms: 3, running: 0, vcpus: 6, memoryMiB: 1536, diskGiB: 4 });
    expect(usage.get('h2')).toMatchObject({ vms: 1, vcpus: 2 });

    expect(await repo.remove('h1')).toMatchObject({ removed: false, why: 'alive' });
    await sleep(80);
    expect(await repo.remove('h2')).toMatchObject({ removed: false, why: 'has-vms', vms: ['x'] });
    await db.deleteFrom('vms').where('name', '=', 'x').execute();
    expect(await repo.remove('h2')).toMatchObject({ removed: true, host: { name: 'h2' } });
    expect(await repo.find('h2')).toBeUndefined();
    await expect(repo.remove('h2')).rejects.toMatchObject({ code: 'not_found' });
  });
});
