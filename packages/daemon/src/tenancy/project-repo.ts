/** Project records, their members and their use. */
import { HerdError, type Project, type ProjectLimits, type ProjectRole } from '@herd/api';
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/open-database.js';
import type { ProjectRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { isUuid } from '../util/uuid.js';
import { limitsOf, projectUsage } from './quota.js';

/** Reads and writes projects. One per daemon. */
export class ProjectRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The project named or identified by `ref`; throws not_found. */
  async find(ref: string): Promise<ProjectRow> {
    const q = this.#db.selectFrom('projects').selectAll();
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'project', name: ref });
    return row;
  }

  /** All projects, by name. */
  async list(): Promise<ProjectRow[]> {
    return this.#db.selectFrom('projects').selectAll().orderBy('name').execute();
  }

  /** Creates a project; name_taken if the name is used. */
  async create(name: string, description: string, limits: ProjectLimits): Promise<ProjectRow> {
    if (await this.#db.selectFrom('projects').select('id').where('name', '=', name).executeTakeFirst())
      throw new HerdError('name_taken', { kind: 'project', name, field: 'name' });
    const row: ProjectRow = { id: randomUUID(), name, description, limits: JSON.stringify(limits), created_at: nowIso() };
    await this.#db.insertInto('projects').values(row).execute();
    return row;
  }

  /** Changes a project's description and limits; a patch with neither changes nothing. */
  async update(id: string, patch: { description?: string; limits?: ProjectLimits }): Promise<void> {
    const set = { ...(patch.description !== undefined ? { description: patch.description } : {}), ...(patch.limits ? { limits: JSON.stringify(patch.limits) } : {}) };
    // An UPDATE without columns is not SQL.
    if (Object.keys(set).length === 0) return;
    await this.#db.updateTable('projects').set(set).where('id', '=', id).execute();
  }

  /** Deletes an empty project; project_not_empty names what it still holds. */
  async delete(row: ProjectRow): Promise<void> {
    const held: string[] = [];
    for (const [table, what] of [
      ['vms', 'VMs'],
      ['volumes', 'volumes'],
      ['networks', 'networks'],
      ['images', 'images'],
      ['security_groups', 'security groups'],
      ['backups', 'backups'],
    ] as const) {
      const n = await this.#db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', row.id).executeTakeFirstOrThrow();
      if (Number(n.n) > 0) held.push(`${n.n} ${what}`);
    }
    if (held.length) throw new HerdError('project_not_empty', { name: row.name, what: held.join(', ') });
    await this.#db.deleteFrom('projects').where('id', '=', row.id).execute();
  }

  /** Gives `userId` `role` in the project (replacing a role they had). */
  async setMember(projectId: string, userId: string, role: ProjectRole): Promise<void> {
    await this.#db
      .insertInto('memberships')
      .values({ user_id: userId, project_id: projectId, role })
      .onConflict((oc) => oc.columns(['user_id', 'project_id']).doUpdateSet({ role }))
      .execute();
  }

  /** Takes `userId`'s role in the project away. */
  async removeMember(projectId: string, userId: string): Promise<void> {
    await this.#db.deleteFrom('memberships').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
  }

  /** The API view of a project: limits, use and members. */
  async toApi(row: ProjectRow): Promise<Project> {
    const members = await this.#db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.name as user', 'memberships.role as role'])
      .where('memberships.project_id', '=', row.id)
      .orderBy('users.name')
      .execute();
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      limits: limitsOf(row),
      usage: await projectUsage(this.#db, row.id),
      members,
      createdAt: row.created_at,
    };
  }
}
