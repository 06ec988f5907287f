/** Backup records: where each archive is and what it builds on. */
import { HerdError } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import type { BackupRow } from '../store/schema.js';
import { isUuid } from '../util/uuid.js';
import { owningProjectId } from '../tenancy/request-scope.js';
import { whereVisible } from '../tenancy/visibility.js';

/** Reads and writes backup rows. One per daemon. */
export class BackupRepo {
  readonly #db: Db;
  readonly #events: EventLog;

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** Backup `ref` (an id, or an archive path); throws not_found. */
  async find(ref: string): Promise<BackupRow> {
    const q = whereVisible(this.#db.selectFrom('backups').selectAll());
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('path', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'backup', name: ref });
    return row;
  }

  /** Backup `id`, or undefined. */
  async get(id: string): Promise<BackupRow | undefined> {
    return this.#db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Backups (of the request's project), newest first, optionally of one VM. */
  async list(vmId?: string): Promise<BackupRow[]> {
    let q = whereVisible(this.#db.selectFrom('backups').selectAll()).orderBy('created_at', 'desc');
    if (vmId) q = q.where('vm_id', '=', vmId);
    return q.execute();
  }

  /** Backups that build on `id`. */
  async children(id: string): Promise<BackupRow[]> {
    return this.#db.selectFrom('backups').selectAll().where('parent_id', '=', id).execute();
  }

  /** Records a finished backup. */
  async insert(row: BackupRow): Promise<void> {
    await this.#db.insertInto('backups').values({ ...row, project_id: owningProjectId() }).execute();
    await this.#events.append({
      type: 'backup.created',
      target: { type: 'vm', id: row.vm_id, name: row.vm_name },
      message: `${row.kind} backup of VM ${row.vm_name} written to ${row.path}`,
      data: { backup: row.id, path: row.path, kind: row.kind, bytes: row.size_bytes },
    });
  }

  /** Forgets a backup. */
  async remove(row: BackupRow): Promise<void> {
    await this.#db.deleteFrom('backups').where('id', '=', row.id).execute();
    await this.#events.append({ type: 'backup.deleted', target: { type: 'vm', id: row.vm_id, name: row.vm_name }, message: `backup ${row.path} deleted`, data: { backup: row.id } });
  }
}
