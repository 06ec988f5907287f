import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEntry } from '../audit/audit-log.js';
import { RUN_UID_BASE, RunUids } from '../confine/run-uids.js';
import { EventLog } from '../events/event-log.js';
import { SqliteMetricsStore } from '../metrics/sqlite-metrics-store.js';
import { OperationStore } from '../operations/operation-store.js';
import { PoolRepo } from '../pools/pool-repo.js';
import { ProjectRepo } from '../tenancy/project-repo.js';
import { insertWithinQuota, projectUsage } from '../tenancy/quota.js';
import { defaultProjectId } from '../tenancy/request-scope.js';
import { newVmRow } from '../vm/new-vm-row.js';
import { VmRepo } from '../vm/vm-repo.js';
import { VolumeRepo } from '../volumes/volume-repo.js';
import { dbNow } from './db-clock.js';
import { dialectOf, type DialectName } from './dialect.js';
import { migrations } from './migrations/index.js';
import { openNotifier, type Notifier } from './notifier.js';
import { openDatabase, type Db } from './open-database.js';
import { sharedPostgres, stopSharedPostgres } from './testing/postgres.js';

const GiB = 1024 ** 3;
const imageId = 'img';

let dir: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-dialects-'));
  await sharedPostgres();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await stopSharedPostgres();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty database of the dialect: a new SQLite file or a new PostgreSQL database. */
async function freshTarget(dialect: DialectName): Promise<string> {
  return dialect === 'sqlite' ? join(dir, `${randomUUID()}.db`) : (await sharedPostgres()).createDatabase();
}

async function open(target: string): Promise<Db> {
  const db = await openDatabase(target);
  closers.push(() => db.destroy());
  return db;
}

async function notifierOf(db: Db): Promise<Notifier> {
  const n = await openNotifier(db);
  // Closed before the database (closers run last-in first-out).
  closers.push(() => n.close());
  return n;
}

async function addImage(db: Db): Promise<void> {
  await db
    .insertInto('images')
    .values({ id: imageId, name: 'img', kind: 'disk', format: 'qcow2', disk_path: '/x.qcow2', kernel_path: null, initrd_path: null, kernel_cmdline: null, min_memory_mib: null, virtual_size: 6 * GiB, actual_size: 1, source: 'test', created_at: new Date().toISOString() })
    .execute();
}

const vmRow = (name: string) => newVmRow({ name, host: 'h', cpus: 2, memory_mib: 256, disk_bytes: 5 * GiB, image_id: imageId, kernel_cmdline: null, accel_pref: 'auto' });

const entry = (n: number): AuditEntry => ({ user: 'alice', project: 'default', action: 'createVm', method: 'POST', path: '/api/v1/vms', target: `vm-${n}`, query: {}, body: { name: `vm-${n}` }, status: 201 });

/** Resolves once `check` holds, polling; fails after `ms`. */
async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(['sqlite', 'postgres'] as const)('%s', (dialect) => {
  /** Two handles on one database: two hosts of a cluster on PostgreSQL; on SQLite the one handle a data directory has. */
  async function twoHandles(): Promise<[Db, Db]> {
    const target = await freshTarget(dialect);
    const a = await open(target);
    return [a, dialect === 'postgres' ? await open(target) : a];
  }

  it('applies every migration to an empty database, and nothing more when opened again', async () => {
    const target = await freshTarget(dialect);
    const first = await openDatabase(target);
    expect(dialectOf(first)).toBe(dialect);
    const applied = await first.selectFrom('kysely_migration' as never).select(sql<string>`name`.as('name')).execute();
    expect(applied.map((r) => r.name).sort()).toEqual(Object.keys(migrations).sort());
    await first.destroy();
    const again = await open(target);
    const count = await again.selectFrom('kysely_migration' as never).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    expect(count.n).toBe(Object.keys(migrations).length);
  });

  it('round-trips rows through the repositories with the same types on both engines', async () => {
    const db = await open(await freshTarget(dialect));
    const events = new EventLog(db, await notifierOf(db));
    await addImage(db);

    const vms = new VmRepo(db, events);
    const web = vmRow('web');
    await vms.insert(web);
    const found = await vms.find('web');
    expect(found).toMatchObject({ id: web.id, cpus: 2, memory_mib: 256, disk_bytes: 5 * GiB, run_uid: null, deleting: 0 });
    await expect(vms.insert(vmRow('web'))).rejects.toMatchObject({ code: 'name_taken' });
    expect(await vms.countByState()).toEqual({ stopped: 1 });

    const pools = new PoolRepo(db, events);
    const pool = { id: randomUUID(), name: 'fast', type: 'dir' as const, path: '/p', volume_group: null, thin_pool: null, shared: 0, created_at: new Date().toISOString() };
    await pools.insert(pool);
    await expect(pools.insert({ ...pool, id: randomUUID() })).rejects.toMatchObject({ code: 'name_taken' });
    const volumes = new VolumeRepo(db, events);
    const now = new Date().toISOString();
    const big = 5 * GiB + 12345;
    await volumes.insert({ id: randomUUID(), name: 'data', pool_id: pool.id, format: 'qcow2', size_bytes: big, path: '/p/data', role: 'data', vm_id: web.id, attach_order: 1, image_id: null, layer_id: null, encrypted: 0, created_at: now, updated_at: now });
    expect((await volumes.find('data')).size_bytes).toBe(big);
    expect(await volumes.nextAttachOrder(web.id)).toBe(2);
    const usage = await projectUsage(db, defaultProjectId);
    expect(usage).toEqual({ vms: 1, vcpus: 2, memoryMiB: 256, diskGiB: Math.round(((5 * GiB + big) / GiB) * 1000) / 1000, networks: 0 });

    const list = await events.list(0, 100);
    expect(list.map((e) => e.type)).toEqual(['vm.created', 'pool.created', 'volume.created']);
    expect(list.map((e) => e.seq)).toEqual([...list.map((e) => e.seq)].sort((x, y) => x - y));
    expect(typeof list[0]!.seq).toBe('number');
    // The JSON path that finds a VM's operations works on both.
    const ops = new OperationStore(db, events);
    const op = await ops.create('vm.start', { type: 'vm', id: web.id, name: 'web' });
    expect((await events.list(0, 100, web.id)).map((e) => e.type)).toEqual(['vm.created', 'operation.created']);
    await ops.succeed(op.id);
    expect(await ops.wait(op.id, 1000)).toMatchObject({ status: 'succeeded', progress: 100 });

    const uids = new RunUids(db);
    const other = vmRow('other');
    await vms.insert(other);
    expect(await uids.ensure(web.id)).toBe(RUN_UID_BASE);
    expect(await uids.ensure(other.id)).toBe(RUN_UID_BASE + 1);
    expect(await uids.ensure(web.id)).toBe(RUN_UID_BASE);
    expect((await vms.find('other')).run_uid).toBe(RUN_UID_BASE + 1);

    const clock = await dbNow(db);
    expect(Math.abs(clock.getTime() - Date.now())).toBeLessThan(5000);
  });

  it('stores metric samples and folds them into rollups, min and max included', async () => {
    const db = await open(await freshTarget(dialect));
    const t0 = Math.floor(Date.now() / 60_000) * 60_000;
    const store = new SqliteMetricsStore(db, { now: () => t0 + 60_000 });
    const at = (s: number, value: number) => ({ metric: 'vm_cpu_percent', target: 'a', time: t0 + s * 1000, value });
    // Two of one time in a batch: the last wins, as an upsert would have it.
    await store.write([at(0, 5), at(10, 9), at(10, 7), at(20, 3)]);
    await store.write([at(30, 1), at(40, 12)]);
    await store.write([at(40, 11)]);
    expect(await store.query({ metric: 'vm_cpu_percent', target: 'a', from: t0, to: t0 + 59_999 })).toEqual([
      { time: t0, value: 5 },
      { time: t0 + 10_000, value: 7 },
      { time: t0 + 20_000, value: 3 },
      { time: t0 + 30_000, value: 1 },
      { time: t0 + 40_000, value: 11 },
    ]);
    const rollup = await db.selectFrom('metric_rollups').selectAll().executeTakeFirstOrThrow();
    expect(rollup).toMatchObject({ bucket: t0, n: 7, v_sum: 5 + 9 + 7 + 3 + 1 + 12 + 11, v_min: 1, v_max: 12 });
    const [minute] = await store.query({ metric: 'vm_cpu_percent', target: 'a', from: t0, to: t0 + 59_999, stepMs: 60_000 });
    expect(minute!.time).toBe(t0);
    expect(minute!.value).toBeCloseTo(48 / 7, 9);
    const tens = await store.query({ metric: 'vm_cpu_percent', target: 'a', from: t0, to: t0 + 59_999, stepMs: 20_000 });
    expect(tens).toEqual([
      { time: t0, value: 6 },
      { time: t0 + 20_000, value: 2 },
      { time: t0 + 40_000, value: 11 },
    ]);
    expect(await store.series()).toEqual([{ metric: 'vm_cpu_percent', target: 'a' }]);
  });

  it('keeps the audit chain whole under concurrent appends from two handles, and refuses changes', async () => {
    const [a, b] = await twoHandles();
    const head = join(dir, `${randomUUID()}.head`);
    const logA = new AuditLog(a, head);
    // SQLite: one daemon, one audit log (and one head file) per database.
    const logB = dialect === 'postgres' ? new AuditLog(b, `${head}.b`) : logA;
    const records = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? logA : logB).append(entry(i))));
    expect(records.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await logA.verify()).toEqual({ ok: true, records: 50, firstBroken: null });
    expect(await logB.verify()).toEqual({ ok: true, records: 50, firstBroken: null });
    await expect(a.updateTable('audit_log').set({ status: 200 }).where('seq', '=', 1).execute()).rejects.toThrow(/append-only/);
    await expect(a.deleteFrom('audit_log').where('seq', '=', 50).execute()).rejects.toThrow(/append-only/);
  });

  it('lets exactly as many concurrent creates through as the quota allows, from two handles', async () => {
    const [a, b] = await twoHandles();
    await addImage(a);
    const project = await new ProjectRepo(a).create('limited', '', { vms: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        insertWithinQuota(i % 2 ? a : b, project.id, { vms: 1 }, async (trx) => {
          await trx.insertInto('vms').values({ ...vmRow(`vm-${i}`), project_id: project.id }).execute();
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'quota_exceeded' });
    const n = await a.selectFrom('vms').select(sql<number>`count(*)`.as('n')).where('project_id', '=', project.id).executeTakeFirstOrThrow();
    expect(n.n).toBe(5);
  });

  it('hands concurrent uid requests distinct uids, one per VM', async () => {
    const [a, b] = await twoHandles();
    await addImage(a);
    const rows = Array.from({ length: 10 }, (_, i) => vmRow(`vm-${i}`));
    await a.insertInto('vms').values(rows).execute();
    const ua = new RunUids(a);
    const ub = new RunUids(b);
    // Every VM asked for twice at once, from both handles.
    const uids = await Promise.all(rows.flatMap((r) => [ua.ensure(r.id), ub.ensure(r.id)]));
    for (let i = 0; i < rows.length; i++) expect(uids[2 * i]).toBe(uids[2 * i + 1]);
    expect(new Set(uids).size).toBe(rows.length);
    expect(Math.max(...uids)).toBe(RUN_UID_BASE + rows.length - 1);
  });

  it('delivers notifications from one handle to listeners of another', async () => {
    const [a, b] = await twoHandles();
    const na = await notifierOf(a);
    const nb = dialect === 'postgres' ? await notifierOf(b) : na;
    const heard: string[] = [];
    const stop = nb.listen('herd_test', (p) => heard.push(p));
    await nb.listening();
    await na.notify('herd_test', 'one');
    await na.notify('other_channel', 'not this');
    await na.notify('herd_test', 'two');
    await eventually(() => heard.length === 2);
    expect(heard).toEqual(['one', 'two']);
    stop();
    await na.notify('herd_test', 'three');
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['one', 'two']);
  });

  it("delivers events appended on one handle to another's subscribers, in order and once", async () => {
    const [a, b] = await twoHandles();
    const logA = new EventLog(a, await notifierOf(a));
    const logB = dialect === 'postgres' ? new EventLog(b, await notifierOf(b)) : logA;
    closers.push(async () => logA.close(), async () => logB.close());
    await logA.start();
    await logB.start();
    const seen: number[] = [];
    const ownOnly: number[] = [];
    logB.subscribe((e) => seen.push(e.seq));
    logB.subscribe((e) => ownOnly.push(e.seq), { thisHostOnly: true });
    const appended = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 3 ? logA : logB).append({ type: 'test', target: { type: 'host', id: null, name: `n${i}` }, message: `m${i}` })),
    );
    const all = appended.map((e) => e.seq).sort((x, y) => x - y);
    await eventually(() => seen.length >= all.length);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(all);
    const mine = (dialect === 'postgres' ? appended.filter((_, i) => i % 3 === 0) : appended).map((e) => e.seq).sort((x, y) => x - y);
    expect(ownOnly).toEqual(mine);

    // A wait on one host ends when another host finishes the operation.
    const opsA = new OperationStore(a, logA);
    const opsB = dialect === 'postgres' ? new OperationStore(b, logB) : opsA;
    const op = await opsA.create('vm.start', { type: 'vm', id: null, name: 'x' });
    const started = Date.now();
    const waiting = opsB.wait(op.id, 20_000);
    await new Promise((r) => setTimeout(r, 50));
    await opsA.succeed(op.id, { ok: true });
    expect(await waiting).toMatchObject({ id: op.id, status: 'succeeded', result: { ok: true } });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('postgres', () => {
  it('hears again after its listening connection is killed, and says so', async () => {
    const target = await freshTarget('postgres');
    const a = await open(target);
    const b = await open(target);
    const na = await notifierOf(a);
    const nb = await notifierOf(b);
    const heard: string[] = [];
    let reconnects = 0;
    nb.listen('herd_test', (p) => heard.push(p), () => reconnects++);
    await nb.listening();
    await na.notify('herd_test', 'before');
    await eventually(() => heard.length === 1);

    const admin = new pg.Client({ connectionString: target });
    await admin.connect();
    try {
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'herd-listen' AND datname = current_database()");
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    await eventually(() => reconnects === 1, 10_000);
    await nb.listening();
    await na.notify('herd_test', 'after');
    await eventually(() => heard.length === 2);
    expect(heard).toEqual(['before', 'after']);
  });

  it('catches an event log up on what it missed while its notifications were cut off', async () => {
    const target = await freshTarget('postgres');
    const a = await open(target);
    const b = await open(target);
    const logA = new EventLog(a, await notifierOf(a));
    const logB = new EventLog(b, await notifierOf(b));
    closers.push(async () => logA.close(), async () => logB.close());
    await logB.start();
    const seen: string[] = [];
    logB.subscribe((e) => seen.push(e.message));
    // Appended behind the log's back (no notification): delivered at the next wake-up, in order.
    await a.insertInto('events').values({ time: new Date().toISOString(), type: 'test', target_type: 'host', target_id: null, target_name: 'h', message: 'silent', data: '{}' }).execute();
    await logA.append({ type: 'test', target: { type: 'host', id: null, name: 'h' }, message: 'loud' });
    await eventually(() => seen.length === 2);
    expect(seen).toEqual(['silent', 'loud']);
  });
});
