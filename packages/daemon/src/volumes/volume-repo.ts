/** Volume records: which disks exist, where, and which VM uses them. */
import { HerdError } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { VolumeRow, VolumesTable } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { isUuid } from '../util/uuid.js';
import { defaultProjectId, owningProjectId } from '../tenancy/request-scope.js';
import { bytesToGiB, insertWithinQuota } from '../tenancy/quota.js';
import { whereVisible } from '../tenancy/visibility.js';

/** Reads and writes volume rows. One per daemon. */
export class VolumeRepo {
  readonly #db: Db;
  readonly #events: EventLog;

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** The volume named or identified by `ref` (layers excluded); throws not_found. */
  async find(ref: string): Promise<VolumeRow> {
    const q = whereVisible(this.#db.selectFrom('volumes').selectAll().where('role', '!=', 'layer'));
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'volume', name: ref });
    return row;
  }

  /** The volume with this id, or undefined. */
  async get(id: string): Promise<VolumeRow | undefined> {
    return this.#db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The volume named `name`, or undefined (layers included: names are unique over all). */
  async byName(name: string): Promise<VolumeRow | undefined> {
    return this.#db.selectFrom('volumes').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Volumes users see (no layers; of the request's project), by name, optionally of one pool or VM. */
  async list(filter: { poolId?: string; vmId?: string } = {}): Promise<VolumeRow[]> {
    let q = whereVisible(this.#db.selectFrom('volumes').selectAll().where('role', '!=', 'layer'));
    if (filter.poolId) q = q.where('pool_id', '=', filter.poolId);
    if (filter.vmId) q = q.where('vm_id', '=', filter.vmId);
    return q.orderBy('name').execute();
  }

  /** Every volume of a pool, layers included. */
  async inPool(poolId: string): Promise<VolumeRow[]> {
    return this.#db.selectFrom('volumes').selectAll().where('pool_id', '=', poolId).execute();
  }

  /** A VM's disks in the order the guest sees them: the root disk, then data disks as attached. */
  async ofVm(vmId: string): Promise<VolumeRow[]> {
    const rows = await this.#db.selectFrom('volumes').selectAll().where('vm_id', '=', vmId).orderBy('attach_order').orderBy('created_at').execute();
    return [...rows.filter((r) => r.role === 'root'), ...rows.filter((r) => r.role !== 'root')];
  }

  /** Volumes and layers whose data builds on `layerId` or on image `imageId`. */
  async dependents(by: { layerId?: string; imageId?: string }): Promise<VolumeRow[]> {
    let q = this.#db.selectFrom('volumes').selectAll();
    if (by.layerId) q = q.where('layer_id', '=', by.layerId);
    if (by.imageId) q = q.where('image_id', '=', by.imageId);
    return q.execute();
  }

  /** The next attach order for a VM's data disks. */
  async nextAttachOrder(vmId: string): Promise<number> {
    const r = await this.#db.selectFrom('volumes').select((eb) => eb.fn.max('attach_order').as('m')).where('vm_id', '=', vmId).executeTakeFirst();
    return Number(r?.m ?? 0) + 1;
  }

  /** Inserts a volume; a duplicate name is name_taken. `quiet` skips the event (layers). */
  async insert(row: VolumeRow, quiet = false): Promise<void> {
    try {
      // A VM's disks belong to its project (also when the reconciler makes a root disk late);
      // its root disk was counted with the VM; layers are nobody's.
      const vm = row.vm_id ? await this.#db.selectFrom('vms').select('project_id').where('id', '=', row.vm_id).executeTakeFirst() : undefined;
      const project = row.role === 'layer' ? defaultProjectId : (vm?.project_id ?? owningProjectId());
      const request = row.role === 'data' ? { diskGiB: bytesToGiB(Number(row.size_bytes)) } : {};
      await insertWithinQuota(this.#db, project, request, (trx) => trx.insertInto('volumes').values({ ...row, project_id: project }).execute().then(() => undefined));
    } catch (e) {
      if (isUniqueViolation(e, 'volumes', 'name')) throw new HerdError('name_taken', { kind: 'volume', name: row.name, field: 'name' });
      throw e;
    }
    if (!quiet)
      await this.#events.append({
        type: 'volume.created',
        target: { type: 'volume', id: row.id, name: row.name },
        message: `volume ${row.name} created (${row.format}, ${row.size_bytes} bytes)`,
      });
  }

  /**
   * Records a volume's new, larger size if its project's disk quota allows it; call before the
   * storage grows (and {@link update} the old size back if growing fails).
   */
  async growWithinQuota(row: VolumeRow, sizeBytes: number): Promise<void> {
    const request = { diskGiB: bytesToGiB(sizeBytes - Number(row.size_bytes)) };
    await insertWithinQuota(this.#db, row.project_id ?? defaultProjectId, request, (trx) =>
      trx.updateTable('volumes').set({ size_bytes: sizeBytes, updated_at: nowIso() }).where('id', '=', row.id).execute().then(() => undefined),
    );
  }

  /** Changes fields of a volume. */
  async update(id: string, patch: Partial<Omit<VolumesTable, 'id' | 'created_at'>>): Promise<void> {
    await this.#db.updateTable('volumes').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).execute();
  }

  /** Records something that happened to a volume. */
  async note(row: VolumeRow, type: string, message: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.#events.append({ type, target: { type: 'volume', id: row.id, name: row.name }, message, data });
  }

  /** Removes a volume record. */
  async remove(row: VolumeRow, quiet = false): Promise<void> {
    await this.#db.deleteFrom('volumes').where('id', '=', row.id).execute();
    if (!quiet) await this.note(row, 'volume.deleted', `volume ${row.name} deleted`);
  }
}
