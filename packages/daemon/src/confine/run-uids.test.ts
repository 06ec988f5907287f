import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../store/open-database.js';
import { newVmRow } from '../vm/new-vm-row.js';
import { RUN_UID_BASE, RunUids } from './run-uids.js';

let dir: string;
let db: Db;
let uids: RunUids;

async function addVm(name: string): Promise<string> {
  const row = newVmRow({ name, host: 'h', cpus: 1, memory_mib: 128, disk_bytes: 1, image_id: 'img', kernel_cmdline: null, accel_pref: 'auto' });
  await db.insertInto('vms').values(row).execute();
  return row.id;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-run-uids-'));
  db = await openDatabase(join(dir, 'herd.db'));
  uids = new RunUids(db);
  await db
    .insertInto('images')
    .values({ id: 'img', name: 'img', kind: 'disk', format: 'qcow2', disk_path: '/x.qcow2', kernel_path: null, initrd_path: null, kernel_cmdline: null, min_memory_mib: null, virtual_size: 1, actual_size: 1, source: 'test', created_at: new Date().toISOString() })
    .execute();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('RunUids', () => {
  it('gives each VM its own uid from the base up, and the same one every time after', async () => {
    const a = await addVm('a');
    const b = await addVm('b');
    expect(await uids.ensure(a)).toBe(RUN_UID_BASE);
    expect(await uids.ensure(b)).toBe(RUN_UID_BASE + 1);
    expect(await uids.ensure(a)).toBe(RUN_UID_BASE);
    expect((await db.selectFrom('vms').select('run_uid').where('id', '=', b).executeTakeFirstOrThrow()).run_uid).toBe(RUN_UID_BASE + 1);
  });

  it('gives distinct uids to VMs started at the same time', async () => {
    const ids = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map(addVm));
    const got = await Promise.all([...ids, ...ids].map((id) => uids.ensure(id)));
    expect(new Set(got.slice(0, 6)).size).toBe(6);
    expect(got.slice(6)).toEqual(got.slice(0, 6));
  });

  it('never gives a deleted VM’s uid again (a file it kept by mistake stays closed to later VMs)', async () => {
    const a = await addVm('a');
    const b = await addVm('b');
    await uids.ensure(a);
    const ub = await uids.ensure(b);
    await db.deleteFrom('vms').where('id', '=', b).execute();
    expect(await uids.ensure(await addVm('c'))).toBe(ub + 1);
  });

  it('cannot give one uid to two VMs, whatever writes it (unique index)', async () => {
    const a = await addVm('a');
    const b = await addVm('b');
    await db.updateTable('vms').set({ run_uid: 5 }).where('id', '=', a).execute();
    await expect(db.updateTable('vms').set({ run_uid: 5 }).where('id', '=', b).execute()).rejects.toThrow(/UNIQUE constraint failed: vms.run_uid/);
  });

  it('refuses a VM that does not exist', async () => {
    await expect(uids.ensure('00000000-0000-4000-8000-00000000dead')).rejects.toThrow(/no VM/);
  });

  it('confines only as root: another daemon runs QEMU as itself and allocates nothing', async () => {
    const a = await addVm('a');
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    expect(await uids.ownerFor(a)).toBeUndefined();
    expect((await db.selectFrom('vms').select('run_uid').where('id', '=', a).executeTakeFirstOrThrow()).run_uid).toBeNull();
    vi.spyOn(process, 'getuid').mockReturnValue(0);
    expect(await uids.ownerFor(a)).toEqual({ uid: RUN_UID_BASE, gid: RUN_UID_BASE });
  });
});
