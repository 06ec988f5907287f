/** Snapshot records: the tree of a VM's snapshots. */
import { HerdError } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import type { SnapshotRow, VmRow } from '../store/schema.js';
import { isUuid } from '../util/uuid.js';

/** Reads and writes snapshot rows. One per daemon. */
export class SnapshotRepo {
  readonly #db: Db;
  readonly #events: EventLog;

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** A VM's snapshots, oldest first. */
  async ofVm(vmId: string): Promise<SnapshotRow[]> {
    return this.#db.selectFrom('snapshots').selectAll().where('vm_id', '=', vmId).orderBy('created_at').orderBy('name').execute();
  }

  /** Snapshot `ref` (id or name) of VM `vm`; throws not_found. */
  async find(vm: Pick<VmRow, 'id' | 'name'>, ref: string): Promise<SnapshotRow> {
    const q = this.#db.selectFrom('snapshots').selectAll().where('vm_id', '=', vm.id);
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'snapshot', name: `${vm.name}/${ref}`, hint: `list them with \`herd snapshot list ${vm.name}\`` });
    return row;
  }

  /** Inserts a snapshot and makes it the VM's current one. */
  async insert(row: SnapshotRow, vmName: string): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.insertInto('snapshots').values(row).execute();
      await tx.updateTable('vms').set({ current_snapshot_id: row.id }).where('id', '=', row.vm_id).execute();
    });
    await this.#events.append({
      type: 'snapshot.created',
      target: { type: 'vm', id: row.vm_id, name: vmName },
      message: `snapshot ${row.name} of VM ${vmName} taken${row.with_memory ? ' with memory' : ''}`,
      data: { snapshot: row.name, withMemory: row.with_memory === 1 },
    });
  }

  /** Makes `row` the VM's current snapshot (after a revert). */
  async setCurrent(row: SnapshotRow, vmName: string): Promise<void> {
    await this.#db.updateTable('vms').set({ current_snapshot_id: row.id }).where('id', '=', row.vm_id).execute();
    await this.#events.append({
      type: 'snapshot.reverted',
      target: { type: 'vm', id: row.vm_id, name: vmName },
      message: `VM ${vmName} reverted to snapshot ${row.name}`,
      data: { snapshot: row.name },
    });
  }

  /** Removes a snapshot: its children hang from its parent, and the VM's current one moves up if it was this. */
  async remove(row: SnapshotRow, vmName: string): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.updateTable('snapshots').set({ parent_id: row.parent_id }).where('parent_id', '=', row.id).execute();
      await tx.updateTable('vms').set({ current_snapshot_id: row.parent_id }).where('id', '=', row.vm_id).where('current_snapshot_id', '=', row.id).execute();
      await tx.deleteFrom('snapshots').where('id', '=', row.id).execute();
    });
    await this.#events.append({
      type: 'snapshot.deleted',
      target: { type: 'vm', id: row.vm_id, name: vmName },
      message: `snapshot ${row.name} of VM ${vmName} deleted`,
      data: { snapshot: row.name },
    });
  }

  /** Forgets every snapshot of a deleted VM. */
  async removeAll(vmId: string): Promise<void> {
    await this.#db.deleteFrom('snapshots').where('vm_id', '=', vmId).execute();
  }
}
