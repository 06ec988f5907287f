/**
 * What a request may see: rows of its project, plus, for images and networks, those of the
 * `default` project, which every project shares (as Incus projects without their own images
 * and networks do). Outside a request scope everything is visible.
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import { HerdError } from '@herd/api';
import { currentScope, defaultProjectId, scopedProjectId } from './request-scope.js';

/** The projects whose rows the current scope sees; undefined outside a scope (all). */
export function visibleProjects(shared = false): string[] | undefined {
  const pid = scopedProjectId();
  if (pid === undefined) return undefined;
  return shared && pid !== defaultProjectId ? [pid, defaultProjectId] : [pid];
}

/**
 * Adds "the row's project is visible" to a query of an owned table (`project_id` column).
 * `unowned`: rows of no project (events and operations of pools, hosts, the installation) are
 * visible to cluster admins too.
 */
export function whereVisible<Q extends { where(e: Expression<SqlBool>): Q }>(q: Q, shared = false, unowned = false): Q {
  const ids = visibleProjects(shared);
  if (ids === undefined) return q;
  if (unowned && currentScope()?.principal.clusterAdmin) return q.where(sql<SqlBool>`(project_id IN (${sql.join(ids)}) OR project_id IS NULL)`);
  return q.where(sql<SqlBool>`project_id IN (${sql.join(ids)})`);
}

/** True when a row of project `projectId` may be changed from the current scope (its own project only). */
export function ownedHere(projectId: string | null | undefined): boolean {
  const pid = scopedProjectId();
  return pid === undefined || (projectId ?? defaultProjectId) === pid;
}

/** Throws forbidden when a shared row (another project's) is to be changed from the current scope. */
export function assertOwnedHere(kind: string, name: string, projectId: string | null | undefined): void {
  if (ownedHere(projectId)) return;
  const scope = currentScope();
  throw new HerdError('forbidden', {
    who: scope?.principal.userName ?? 'the caller',
    action: `change ${kind} '${name}'`,
    reason: `it belongs to the default project, which shares it read-only with project '${scope?.project?.name ?? ''}'`,
  });
}
