/** Image records. */
import { HerdError } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import type { Db } from '../store/open-database.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { ImageRow } from '../store/schema.js';
import { isUuid } from '../util/uuid.js';
import { owningProjectId } from '../tenancy/request-scope.js';
import { whereVisible } from '../tenancy/visibility.js';

/** Reads and writes image rows. One per daemon. */
export class ImageRepo {
  readonly #db: Db;
  readonly #events: EventLog;

  constructor(db: Db, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** The image named or identified by `ref`; throws not_found. */
  async find(ref: string): Promise<ImageRow> {
    const row = await this.findOptional(ref);
    if (!row) throw new HerdError('not_found', { kind: 'image', name: ref });
    return row;
  }

  /** The image named or identified by `ref`, or undefined. */
  async findOptional(ref: string): Promise<ImageRow | undefined> {
    const q = whereVisible(this.#db.selectFrom('images').selectAll(), true);
    return (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
  }

  /** The image with this id, or undefined. */
  async get(id: string): Promise<ImageRow | undefined> {
    return this.#db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** All images, by name. */
  async list(): Promise<ImageRow[]> {
    return this.#db.selectFrom('images').selectAll().orderBy('name').execute();
  }

  /** The images the request's project sees (its own and the default project's), by name. */
  async listVisible(): Promise<ImageRow[]> {
    return whereVisible(this.#db.selectFrom('images').selectAll(), true).orderBy('name').execute();
  }

  /** Inserts an image; a duplicate name is name_taken. */
  async insert(row: ImageRow): Promise<void> {
    try {
      await this.#db.insertInto('images').values({ ...row, project_id: owningProjectId() }).execute();
    } catch (e) {
      if (isUniqueViolation(e, 'images', 'name')) throw new HerdError('name_taken', { kind: 'image', name: row.name });
      throw e;
    }
    await this.#events.append({
      type: 'image.created',
      target: { type: 'image', id: row.id, name: row.name },
      message: `image ${row.name} created (${row.kind}, ${row.format})`,
      data: { source: row.source },
    });
  }

  /** Removes an image record. */
  async remove(row: ImageRow): Promise<void> {
    await this.#db.deleteFrom('images').where('id', '=', row.id).execute();
    await this.#events.append({ type: 'image.deleted', target: { type: 'image', id: row.id, name: row.name }, message: `image ${row.name} deleted` });
  }
}
