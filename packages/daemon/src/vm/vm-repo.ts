/**
 * VM records: the desired spec and the observed status. Every write that changes what a client
 * would see goes through here, so that each change is an event and wakes the trackers that wait
 * for it.
 */
import { HerdError, type VmState } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { Database, VmRow, VmsTable } from '../store/schema.js';
import type { Transaction } from 'kysely';
import { nowIso } from '../util/time.js';
import { isUuid } from '../util/uuid.js';
import { owningProjectId } from '../tenancy/request-scope.js';
import { bytesToGiB, insertWithinQuota } from '../tenancy/quota.js';
import { whereVisible } from '../tenancy/visibility.js';

/** Fields of the observed status. */
export type VmStatusPatch = Partial<
  Pick<
    VmsTable,
    | 'state'
    | 'accel'
    | 'pid'
    | 'reason'
    | 'last_error'
    | 'started_at'
    | 'stop_deadline'
    | 'boot_generation'
    | 'restart_times'
    | 'next_restart_at'
    | 'health'
  >
>;

/** Settings of an existing VM that can change. */
export type VmSettingsPatch = Partial<Pick<VmsTable, 'restart_policy' | 'restart_max' | 'restart_window_s' | 'health_check' | 'watchdog' | 'display' | 'priority' | 'ha'>>;

/** Fields of the desired spec that actions change. */
export type VmIntentPatch = Partial<
  Pick<VmsTable, 'desired_state' | 'deleting' | 'stop_timeout_s' | 'restart_generation'>
>;

/**
 * Chooses the host of a VM about to be inserted, given the row as it will be inserted (its
 * project set), inside the inserting transaction: see PlacementService.placer.
 */
export type VmPlacer = (trx: Transaction<Database>, row: VmRow) => Promise<string>;

type ChangeListener = (id: string, row: VmRow | undefined) => void;

/** Reads and writes VM rows. One per daemon. */
export class VmRepo {
  readonly #db: Db;
  readonly #events: EventLog;
  readonly #listeners = new Set<ChangeListener>();

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** Calls `listener` after every change of a VM (row undefined once deleted). */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The VM with this id, or undefined. */
  async get(id: string): Promise<VmRow | undefined> {
    return this.#db.selectFrom('vms').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The VM named or identified by `ref`; throws not_found. */
  async find(ref: string): Promise<VmRow> {
    const q = whereVisible(this.#db.selectFrom('vms').selectAll());
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'vm', name: ref });
    return row;
  }

  /** All VMs, by name. */
  async list(): Promise<VmRow[]> {
    return this.#db.selectFrom('vms').selectAll().orderBy('name').execute();
  }

  /** The VMs the current request's project sees (all outside a request), by name. */
  async listVisible(): Promise<VmRow[]> {
    return whereVisible(this.#db.selectFrom('vms').selectAll()).orderBy('name').execute();
  }

  /**
   * Inserts a new VM and returns it as inserted; a duplicate name is name_taken. With `place`,
   * its host is what `place` chooses in the inserting transaction, instead of `row.host`.
   */
  async insert(row: VmRow, place?: VmPlacer): Promise<VmRow> {
    let inserted = row;
    try {
      const project = owningProjectId();
      // The quota check, the placement and the insert see the same rows: concurrent creates
      // cannot both fit.
      const request = { vms: 1, vcpus: row.cpus, memoryMiB: row.memory_mib, diskGiB: bytesToGiB(row.disk_bytes) };
      await insertWithinQuota(this.#db, project, request, async (trx) => {
        const owned = { ...row, project_id: project };
        inserted = place ? { ...owned, host: await place(trx, owned) } : owned;
        await trx.insertInto('vms').values(inserted).execute();
      });
    } catch (e) {
      if (isUniqueViolation(e, 'vms', 'name')) throw new HerdError('name_taken', { kind: 'VM', name: row.name });
      throw e;
    }
    await this.#events.append({
      type: 'vm.created',
      target: { type: 'vm', id: row.id, name: row.name },
      message: `VM ${row.name} created on ${inserted.host}`,
      data: { cpus: row.cpus, memoryMiB: row.memory_mib, image: row.image_id, host: inserted.host },
    });
    this.#notify(row.id, inserted);
    return inserted;
  }

  /** Records what the user now wants. */
  async setIntent(id: string, patch: VmIntentPatch): Promise<VmRow | undefined> {
    const row = await this.#db
      .updateTable('vms')
      .set({ ...patch, updated_at: nowIso() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (row) this.#notify(id, row);
    return row;
  }

  /** Sets (or clears) the snapshot with memory the next start resumes from. */
  async setResume(id: string, snapshot: string | null): Promise<void> {
    await this.#db.updateTable('vms').set({ resume_snapshot: snapshot }).where('id', '=', id).execute();
  }

  /** Changes a VM's settings; an event says what changed. */
  async setSettings(id: string, patch: VmSettingsPatch): Promise<VmRow | undefined> {
    const row = await this.#db.updateTable('vms').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).returningAll().executeTakeFirst();
    if (!row) return undefined;
    await this.#events.append({
      type: 'vm.updated',
      target: { type: 'vm', id, name: row.name },
      message: `VM ${row.name} settings changed: ${Object.keys(patch).join(', ')}`,
      data: { ...patch },
    });
    this.#notify(id, row);
    return row;
  }

  /** Records a healing-related happening (a restart scheduled, a failed health check) as an event. */
  async note(row: Pick<VmRow, 'id' | 'name'>, type: string, message: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.#events.append({ type, target: { type: 'vm', id: row.id, name: row.name }, message, data });
  }

  /** Records what herd observed; a state change is an event (with the reason). */
  async setStatus(id: string, patch: VmStatusPatch): Promise<VmRow | undefined> {
    const before = await this.get(id);
    if (!before) return undefined;
    const now = nowIso();
    const stateChanged = patch.state !== undefined && patch.state !== before.state;
    const row = await this.#db
      .updateTable('vms')
      .set({ ...patch, updated_at: now, ...(stateChanged ? { state_changed_at: now } : {}) })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    if (stateChanged) {
      await this.#events.append({
        type: 'vm.state',
        target: { type: 'vm', id, name: row.name },
        message: `VM ${row.name} is ${row.state}${row.state === 'error' && row.last_error ? `: ${row.last_error}` : row.reason ? ` (${row.reason})` : ''}`,
        data: { from: before.state, to: row.state, reason: row.reason, error: row.last_error, pid: row.pid, accel: row.accel },
      });
    }
    this.#notify(id, row);
    return row;
  }

  /** Removes the VM record (after its resources are gone). */
  async remove(id: string): Promise<void> {
    const row = await this.get(id);
    if (!row) return;
    await this.#db.deleteFrom('vms').where('id', '=', id).execute();
    await this.#events.append({ type: 'vm.deleted', target: { type: 'vm', id, name: row.name }, message: `VM ${row.name} deleted` });
    this.#notify(id, undefined);
  }

  /** Counts VMs by observed state. */
  async countByState(): Promise<Partial<Record<VmState, number>>> {
    const rows = await this.#db.selectFrom('vms').select(['state']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('state').execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  /** Names of VMs created from an image, or with it as their cdrom. */
  async namesUsingImage(imageId: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('vms')
      .select('name')
      .where((eb) => eb.or([eb('image_id', '=', imageId), eb('cdrom_image_id', '=', imageId)]))
      .orderBy('name')
      .execute();
    return rows.map((r) => r.name);
  }

  #notify(id: string, row: VmRow | undefined): void {
    for (const l of this.#listeners) l(id, row);
  }
}
