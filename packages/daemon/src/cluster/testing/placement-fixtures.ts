/** A database of hosts and VMs for placement and rebalancing tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../store/open-database.js';
import type { HostsTable, VmRow } from '../../store/schema.js';
import { defaultProjectId } from '../../tenancy/request-scope.js';
import { newVmRow } from '../../vm/new-vm-row.js';

export const GiB = 1024 ** 3;

/** A fresh SQLite database in a directory of its own (`dir`, removed by `close`), holding image `img` (named `tiny`). */
export async function placementDb(): Promise<{ db: Db; dir: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'herd-placement-'));
  const db = await openDatabase(join(dir, 'herd.db'));
  await db
    .insertInto('images')
    .values({ id: 'img', name: 'tiny', kind: 'disk', format: 'qcow2', disk_path: '/nowhere', kernel_path: null, initrd_path: null, kernel_cmdline: null, min_memory_mib: null, virtual_size: GiB, actual_size: 0, source: 'test', created_at: new Date().toISOString() })
    .execute();
  return {
    db,
    dir,
    close: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registers a host: online, KVM, its lease running for a minute, 4 threads, 8 GiB, 100 GiB, pool default, network default. */
export async function addHost(db: Db, name: string, over: Partial<HostsTable> = {}): Promise<void> {
  const now = Date.now();
  await db
    .insertInto('hosts')
    .values({
      name,
      address: null,
      cpus: 4,
      memory_mib: 8192,
      disk_gib: 100,
      accel: 'kvm',
      labels: '{}',
      pools: '["default"]',
      networks: '["default"]',
      overcommit: '{}',
      mode: 'active',
      status: 'online',
      load_cpu: null,
      heartbeat_at: new Date(now).toISOString(),
      lease_expires_at: new Date(now + 60_000).toISOString(),
      started_at: new Date(now).toISOString(),
      herd_version: 'test',
      qemu_version: 'test',
      kernel: 'test',
      created_at: new Date(now).toISOString(),
      accel_preference: 'auto',
      accel_reason: 'test',
      kvm_usable: 1,
      data_dir: '/var/lib/herd',
      ...over,
    })
    .execute();
}

/** A VM row as a create would make it: 1 vCPU, 1 GiB, a 10 GiB disk, on `host`. */
export function vmRow(name: string, host: string, over: Partial<VmRow> = {}): VmRow {
  return { ...newVmRow({ name, host, cpus: 1, memory_mib: 1024, disk_bytes: 10 * GiB, image_id: 'img', kernel_cmdline: null, accel_pref: 'auto' }), project_id: defaultProjectId, ...over };
}

/** Inserts `vmRow(name, host, over)`. */
export async function addVm(db: Db, name: string, host: string, over: Partial<VmRow> = {}): Promise<VmRow> {
  const row = vmRow(name, host, over);
  await db.insertInto('vms').values(row).execute();
  return row;
}
