/**
 * What the signed-in user may do, decided the way the daemon decides it: from the access each
 * route declares in @herd/api (`routeAccess`) and the user's role in the project the page acts
 * in. The UI uses it only to hide what would be refused; the daemon checks every request anyway.
 * Pure: no DOM, no session; the session passes in who the user is.
 */
import { roleAllows, routeAccess, type ProjectRole, type RouteId, type Whoami } from '@herd/api';

/** The user's role in `project`, or undefined when they hold none there (cluster admins may still act). */
export function roleIn(who: Whoami, project: string | undefined): ProjectRole | undefined {
  return who.roles.find((r) => r.project === project)?.role;
}

/**
 * True when `who` may call `route` acting in `project`. Routes on a user (`self`) are taken as
 * the user's own; routes naming their project in a path parameter are taken as the current one.
 */
export function mayCall(who: Whoami, project: string | undefined, route: RouteId): boolean {
  if (who.clusterAdmin) return true;
  const access = routeAccess[route];
  switch (access.scope) {
    case 'public':
    case 'authenticated':
    case 'self':
      return true;
    case 'cluster':
      return false;
    case 'project': {
      const role = roleIn(who, project);
      return role !== undefined && roleAllows(role, access.need);
    }
  }
}

/**
 * The project to act in: the one kept from last time while it is still offered, else
 * `default` when offered (the daemon's own default), else the first the user has a role in,
 * else the first offered; undefined when none is.
 */
export function pickProject(offered: readonly string[], who: Whoami, kept: string | undefined): string | undefined {
  if (kept !== undefined && offered.includes(kept)) return kept;
  if (offered.includes('default')) return 'default';
  return who.roles.find((r) => offered.includes(r.project))?.project ?? offered[0];
}

/** How the user is shown in the header: their role in `project`, or that they administer the cluster. */
export function describeRole(who: Whoami, project: string | undefined): string {
  const role = roleIn(who, project);
  if (who.clusterAdmin) return role && role !== 'admin' ? `cluster admin (${role} here)` : 'cluster admin';
  return role ?? 'no role here';
}
