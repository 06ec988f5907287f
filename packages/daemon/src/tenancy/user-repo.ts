/** Users, their roles and their tokens. */
import { HerdError, type ProjectRole } from '@herd/api';
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/open-database.js';
import type { TokenRow, UserRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { isUuid } from '../util/uuid.js';
import { hashSecret, newTokenSecret } from './token-secret.js';

/** A user's role in a project, with the project's name. */
export interface RoleRow {
  readonly projectId: string;
  readonly project: string;
  readonly role: ProjectRole;
}

/** Reads and writes users and tokens. One per daemon. */
export class UserRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The user named or identified by `ref`; throws not_found. */
  async find(ref: string): Promise<UserRow> {
    const q = this.#db.selectFrom('users').selectAll();
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'user', name: ref });
    return row;
  }

  /** The user with this id, or undefined. */
  async get(id: string): Promise<UserRow | undefined> {
    return this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** All users, by name. */
  async list(): Promise<UserRow[]> {
    return this.#db.selectFrom('users').selectAll().orderBy('name').execute();
  }

  /** Creates a user; name_taken if the name is used. */
  async create(name: string, clusterAdmin: boolean): Promise<UserRow> {
    if (name === 'root') throw new HerdError('validation_failed', { field: 'name', reason: "'root' is the local socket's administrator; choose another name" });
    if (await this.#db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst())
      throw new HerdError('name_taken', { kind: 'user', name, field: 'name' });
    const row: UserRow = { id: randomUUID(), name, cluster_admin: clusterAdmin ? 1 : 0, created_at: nowIso() };
    await this.#db.insertInto('users').values(row).execute();
    return row;
  }

  /** Deletes a user with their roles and tokens. */
  async delete(id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('tokens').where('user_id', '=', id).execute();
      await trx.deleteFrom('memberships').where('user_id', '=', id).execute();
      await trx.deleteFrom('users').where('id', '=', id).execute();
    });
  }

  /** The user's roles, by project name. */
  async roles(userId: string): Promise<RoleRow[]> {
    return this.#db
      .selectFrom('memberships')
      .innerJoin('projects', 'projects.id', 'memberships.project_id')
      .select(['projects.id as projectId', 'projects.name as project', 'memberships.role as role'])
      .where('memberships.user_id', '=', userId)
      .orderBy('projects.name')
      .execute();
  }

  /** Makes a token for `userId`; returns the row and its secret (which is not kept). */
  async createToken(userId: string, name: string, expiresAt: string | null): Promise<{ row: TokenRow; secret: string }> {
    if (await this.#db.selectFrom('tokens').select('id').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst())
      throw new HerdError('name_taken', { kind: 'token', name, field: 'name' });
    const id = randomUUID();
    const secret = newTokenSecret(id);
    const row: TokenRow = { id, user_id: userId, name, hash: hashSecret(secret), created_at: nowIso(), expires_at: expiresAt, last_used_at: null, revoked_at: null };
    await this.#db.insertInto('tokens').values(row).execute();
    return { row, secret };
  }

  /** The token with this id, or undefined. */
  async token(id: string): Promise<TokenRow | undefined> {
    return this.#db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A user's tokens, newest first. */
  async tokens(userId: string): Promise<TokenRow[]> {
    return this.#db.selectFrom('tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
  }

  /** The user's token named or identified by `ref`; throws not_found. */
  async findToken(userId: string, ref: string): Promise<TokenRow> {
    const q = this.#db.selectFrom('tokens').selectAll().where('user_id', '=', userId);
    const row = await (isUuid(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new HerdError('not_found', { kind: 'token', name: ref, hint: 'list them with `herd user token list`' });
    return row;
  }

  /** Revokes a token (it stays listed, revoked). */
  async revokeToken(id: string): Promise<void> {
    await this.#db.updateTable('tokens').set({ revoked_at: nowIso() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  /** Notes that a token was used (at most once a minute, to spare writes). */
  async touchToken(row: TokenRow): Promise<void> {
    const now = Date.now();
    if (row.last_used_at && now - Date.parse(row.last_used_at) < 60_000) return;
    await this.#db.updateTable('tokens').set({ last_used_at: new Date(now).toISOString() }).where('id', '=', row.id).execute();
  }
}
