/**
 * May this caller call this route, and in which project? Reads the route's declaration in
 * `routeAccess` and the caller's roles. A project the caller has no role in is answered as if
 * it did not exist, so project names do not leak.
 */
import { HerdError, roleAllows, routeAccess, type RouteId } from '@herd/api';
import type { ProjectRepo } from './project-repo.js';
import { defaultProjectId, type Principal, type RequestScope } from './request-scope.js';

/** Decides access. One per daemon. */
export class Authorizer {
  readonly #projects: ProjectRepo;

  constructor(projects: ProjectRepo) {
    this.#projects = projects;
  }

  /**
   * The scope route `id` runs in for `principal`; throws forbidden, not_found or
   * project_required. `projectRef` is the project the request named (header), if any.
   */
  async authorize(id: RouteId, principal: Principal, params: Readonly<Record<string, string>>, projectRef: string | undefined): Promise<RequestScope> {
    const access = routeAccess[id];
    switch (access.scope) {
      case 'public':
      case 'authenticated':
        return { principal };
      case 'cluster':
        if (!principal.clusterAdmin) throw forbidden(principal, id, 'only cluster administrators may');
        return { principal };
      case 'self': {
        const user = params.id ?? '';
        if (!principal.clusterAdmin && user !== principal.userName && user !== principal.userId) throw forbidden(principal, id, 'users may only do this for themselves');
        return { principal };
      }
      case 'project': {
        const ref = access.projectParam ? params[access.projectParam] : projectRef;
        const project = ref !== undefined ? await this.#visible(principal, ref) : await this.#defaultFor(principal);
        const role = principal.clusterAdmin ? 'admin' : principal.roles.get(project.id);
        if (!role) throw new HerdError('not_found', { kind: 'project', name: project.name, hint: 'list yours with `herd project list`' });
        if (!roleAllows(role, access.need)) throw forbidden(principal, id, `it needs the ${access.need} role and ${principal.userName} has ${role}`, project.name);
        return { principal, project: { id: project.id, name: project.name } };
      }
    }
  }

  async #visible(principal: Principal, ref: string) {
    const project = await this.#projects.find(ref);
    if (!principal.clusterAdmin && !principal.roles.has(project.id)) throw new HerdError('not_found', { kind: 'project', name: ref, hint: 'list yours with `herd project list`' });
    return project;
  }

  // Without a project named: `default` for those with a role there, else the caller's only project.
  async #defaultFor(principal: Principal) {
    if (principal.clusterAdmin || principal.roles.has(defaultProjectId)) return this.#projects.find(defaultProjectId);
    const ids = [...principal.roles.keys()];
    if (ids.length === 1) return this.#projects.find(ids[0]!);
    const names = (await this.#projects.list()).filter((p) => principal.roles.has(p.id)).map((p) => p.name);
    throw new HerdError('project_required', { projects: names.length ? names.join(', ') : 'no project' });
  }
}

function forbidden(principal: Principal, id: RouteId, reason: string, project?: string): HerdError {
  return new HerdError('forbidden', { who: principal.userName, action: id, reason, ...(project ? { project } : {}) });
}
