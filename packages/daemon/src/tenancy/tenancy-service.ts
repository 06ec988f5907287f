/**
 * The tenancy use cases behind the API: projects with their quotas and members, users, their
 * tokens, and who the caller is. Also makes the first administrator's token on a new
 * installation.
 */
import { HerdError, type Project, type ProjectLimits, type ProjectRole, type Token, type TokenCreated, type User, type Whoami } from '@herd/api';
import type { TokenRow, UserRow } from '../store/schema.js';
import type { ProjectRepo } from './project-repo.js';
import { limitsOf } from './quota.js';
import { currentScope, defaultProjectId, type Principal } from './request-scope.js';
import type { UserRepo } from './user-repo.js';

/** Projects, users and tokens. One per daemon. */
export class TenancyService {
  readonly #projects: ProjectRepo;
  readonly #users: UserRepo;

  constructor(projects: ProjectRepo, users: UserRepo) {
    this.#projects = projects;
    this.#users = users;
  }

  /** Who `principal` is. */
  async whoami(principal: Principal): Promise<Whoami> {
    const projects = new Map((await this.#projects.list()).map((p) => [p.id, p.name]));
    return {
      user: principal.userName,
      clusterAdmin: principal.clusterAdmin,
      via: principal.via === 'unix-root' ? 'unix-root' : 'token',
      roles: [...principal.roles].map(([id, role]) => ({ project: projects.get(id) ?? id, role })),
    };
  }

  /** The projects `principal` has a role in (all of them for cluster admins). */
  async listProjects(principal: Principal): Promise<Project[]> {
    const rows = (await this.#projects.list()).filter((p) => principal.clusterAdmin || principal.roles.has(p.id));
    return Promise.all(rows.map((r) => this.#projects.toApi(r)));
  }

  /** A project (the authorizer has checked the caller may see it). */
  async getProject(ref: string): Promise<Project> {
    return this.#projects.toApi(await this.#projects.find(ref));
  }

  /** Creates a project. */
  async createProject(body: { name: string; description?: string; limits?: ProjectLimits }): Promise<Project> {
    return this.#projects.toApi(await this.#projects.create(body.name, body.description ?? '', body.limits ?? {}));
  }

  /** Changes a project's description or limits (given limits replace those of the same name). */
  async updateProject(ref: string, body: { description?: string; limits?: ProjectLimits }): Promise<Project> {
    const row = await this.#projects.find(ref);
    const limits = body.limits ? { ...limitsOf(row), ...body.limits } : undefined;
    await this.#projects.update(row.id, { ...(body.description !== undefined ? { description: body.description } : {}), ...(limits ? { limits } : {}) });
    return this.getProject(row.id);
  }

  /** Deletes an empty project (never `default`). */
  async deleteProject(ref: string): Promise<Project> {
    const row = await this.#projects.find(ref);
    if (row.id === defaultProjectId) throw new HerdError('validation_failed', { field: 'id', reason: "the 'default' project cannot be deleted" });
    const api = await this.#projects.toApi(row);
    await this.#projects.delete(row);
    return api;
  }

  /** Gives a user a role in a project. */
  async setMember(projectRef: string, userRef: string, role: ProjectRole): Promise<Project> {
    const [project, user] = await Promise.all([this.#projects.find(projectRef), this.#users.find(userRef)]);
    await this.#projects.setMember(project.id, user.id, role);
    return this.#projects.toApi(project);
  }

  /** Takes a user's role in a project away. */
  async removeMember(projectRef: string, userRef: string): Promise<Project> {
    const [project, user] = await Promise.all([this.#projects.find(projectRef), this.#users.find(userRef)]);
    await this.#projects.removeMember(project.id, user.id);
    return this.#projects.toApi(project);
  }

  /** All users. */
  async listUsers(): Promise<User[]> {
    return Promise.all((await this.#users.list()).map((u) => this.#userToApi(u)));
  }

  /** A user. */
  async getUser(ref: string): Promise<User> {
    return this.#userToApi(await this.#users.find(ref));
  }

  /** Creates a user (with no role anywhere yet). */
  async createUser(body: { name: string; clusterAdmin?: boolean }): Promise<User> {
    return this.#userToApi(await this.#users.create(body.name, body.clusterAdmin === true));
  }

  /** Deletes a user, their roles and tokens; nobody deletes themselves. */
  async deleteUser(ref: string): Promise<User> {
    const row = await this.#users.find(ref);
    if (currentScope()?.principal.userId === row.id) throw new HerdError('validation_failed', { field: 'id', reason: 'you cannot delete yourself; ask another cluster admin' });
    const api = await this.#userToApi(row);
    await this.#users.delete(row.id);
    return api;
  }

  /** A user's tokens. */
  async listTokens(userRef: string): Promise<Token[]> {
    const user = await this.#users.find(userRef);
    return (await this.#users.tokens(user.id)).map((t) => tokenToApi(t, user.name));
  }

  /** Makes a token; its secret is in this answer only. */
  async createToken(userRef: string, body: { name: string; expiresInDays?: number }): Promise<TokenCreated> {
    const user = await this.#users.find(userRef);
    const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000).toISOString() : null;
    const { row, secret } = await this.#users.createToken(user.id, body.name, expiresAt);
    return { ...tokenToApi(row, user.name), secret };
  }

  /** Revokes a token. */
  async revokeToken(userRef: string, tokenRef: string): Promise<Token> {
    const user = await this.#users.find(userRef);
    const token = await this.#users.findToken(user.id, tokenRef);
    await this.#users.revokeToken(token.id);
    return tokenToApi((await this.#users.token(token.id))!, user.name);
  }

  /**
   * On an installation without any cluster admin: makes user `admin` (cluster admin) and a
   * token for it, and returns the token's secret for the daemon to hand over once. Returns
   * undefined when an admin exists.
   */
  async bootstrapAdmin(): Promise<string | undefined> {
    const users = await this.#users.list();
    if (users.some((u) => u.cluster_admin === 1)) return undefined;
    let admin = users.find((u) => u.name === 'admin');
    try {
      admin ??= await this.#users.create('admin', true);
    } catch (e) {
      // Hosts of a new cluster start together: the first one makes the admin and its token.
      if (e instanceof HerdError && e.code === 'name_taken') return undefined;
      throw e;
    }
    if (admin.cluster_admin !== 1) return undefined;
    const name = `bootstrap-${Date.now()}`;
    return (await this.#users.createToken(admin.id, name, null)).secret;
  }

  async #userToApi(u: UserRow): Promise<User> {
    return {
      id: u.id,
      name: u.name,
      clusterAdmin: u.cluster_admin === 1,
      roles: (await this.#users.roles(u.id)).map((r) => ({ project: r.project, role: r.role })),
      createdAt: u.created_at,
    };
  }
}

function tokenToApi(t: TokenRow, user: string): Token {
  return { id: t.id, name: t.name, user, createdAt: t.created_at, expiresAt: t.expires_at, lastUsedAt: t.last_used_at, revokedAt: t.revoked_at };
}

