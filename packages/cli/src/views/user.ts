/** How users and the caller (`herd whoami`) look in tables and `show` blocks. */
import type { User, Whoami } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { formatTime } from '../output/time.js';

const columns: readonly Column[] = [{ header: 'NAME', shrink: true }, { header: 'CLUSTER-ADMIN' }, { header: 'ROLES', shrink: true }];

/** Roles in projects, for people: `web:admin, db:viewer`, or '-' for none. */
export function formatRoles(roles: readonly { readonly project: string; readonly role: string }[]): string {
  return roles.length ? roles.map((r) => `${r.project}:${r.role}`).join(', ') : '-';
}

/** The `herd user list` table. */
export function userTable(users: readonly User[], width?: number): string {
  const rows = users.map((u) => [u.name, u.clusterAdmin ? 'yes' : 'no', formatRoles(u.roles)]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** What being a cluster admin means, next to yes or no. */
function adminText(clusterAdmin: boolean): string {
  return clusterAdmin ? 'yes (may do anything in every project, and manage users and projects)' : 'no';
}

/** The `herd user show` block. */
export function userDetails(u: User): string {
  return renderDetails([
    ['name', u.name],
    ['id', u.id],
    ['cluster admin', adminText(u.clusterAdmin)],
    ['roles', formatRoles(u.roles)],
    ['created', formatTime(u.createdAt)],
  ]);
}

/** The `herd whoami` block. */
export function whoamiDetails(w: Whoami): string {
  return renderDetails([
    ['user', w.user],
    ['via', w.via === 'unix-root' ? 'unix-root (root on the local socket, no token)' : 'token'],
    ['cluster admin', adminText(w.clusterAdmin)],
    ['roles', formatRoles(w.roles)],
  ]);
}
