/** How projects look: their use against their limits in tables and `show` blocks, and members. */
import { formatSize, type Project, type ProjectLimits, type ProjectUsage } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { renderMeter } from '../output/meter.js';
import { paint, type Color } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatTime } from '../output/time.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** A resource a project's quota limits, and how its amounts read. */
interface Resource {
  readonly key: keyof ProjectLimits & keyof ProjectUsage;
  readonly label: string;
  readonly format: (amount: number) => string;
}

/** The limited resources, in the order tables show them. */
const resources: readonly Resource[] = [
  { key: 'vms', label: 'vms', format: String },
  { key: 'vcpus', label: 'vcpus', format: String },
  { key: 'memoryMiB', label: 'memory', format: (n) => formatSize(n * MiB) },
  { key: 'diskGiB', label: 'disk', format: (n) => formatSize(Math.round(n * GiB)) },
  { key: 'networks', label: 'networks', format: String },
];

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  ...resources.map((r): Column => ({ header: r.label.toUpperCase(), align: 'right' })),
  { header: 'MEMBERS', align: 'right' },
];

const quotaColumns: readonly Column[] = [{ header: 'RESOURCE' }, { header: 'USED', align: 'right' }, { header: 'LIMIT', align: 'right' }, { header: 'USE' }];

const memberColumns: readonly Column[] = [{ header: 'MEMBER', shrink: true }, { header: 'ROLE' }];

const meterWidth = 20;

/** A project's use of `r` against its limit: `3/5`, or `3/-` when there is no limit. */
export function useOfLimit(p: Pick<Project, 'limits' | 'usage'>, r: Resource): string {
  const limit = p.limits[r.key] ?? null;
  return `${r.format(p.usage[r.key])}/${limit === null ? '-' : r.format(limit)}`;
}

/** The `herd project list` table. */
export function projectTable(projects: readonly Project[], width?: number): string {
  const rows = projects.map((p) => [p.name, ...resources.map((r) => useOfLimit(p, r)), String(p.members.length)]);
  return renderTable(columns, rows, { maxWidth: width });
}

/**
 * Yellow from 80 % of a limit, red at it: at the limit, creating more of the resource in the
 * project fails with quota_exceeded.
 */
function fillColor(ratio: number): Color | undefined {
  if (ratio >= 1) return 'red';
  return ratio >= 0.8 ? 'yellow' : undefined;
}

/** The USE cell of a resource: a bar and the share of the limit, or `no limit`. */
function useCell(used: number, limit: number | null, color: boolean): string {
  if (limit === null) return 'no limit';
  // A limit of 0 allows none: the bar is full whatever the use.
  const ratio = limit > 0 ? used / limit : 1;
  const share = limit > 0 ? `${Math.round(ratio * 100)}%`.padStart(4) : 'none allowed';
  return paint(`${renderMeter(ratio, meterWidth)} ${share}`, fillColor(ratio), color);
}

/** The quota table of `herd project show`: each resource's use, limit and a bar. */
export function quotaTable(p: Pick<Project, 'limits' | 'usage'>, color: boolean): string {
  const rows = resources.map((r) => {
    const limit = p.limits[r.key] ?? null;
    return [r.label, r.format(p.usage[r.key]), limit === null ? '-' : r.format(limit), useCell(p.usage[r.key], limit, color)];
  });
  return renderTable(quotaColumns, rows);
}

/** The `herd project show` block: the project, its use against its limits, and its members. */
export function projectDetails(p: Project, color: boolean): string {
  const details = renderDetails([
    ['name', p.name],
    ['id', p.id],
    ['description', p.description || '-'],
    ['created', formatTime(p.createdAt)],
  ]);
  const members = p.members.length
    ? renderTable(
        memberColumns,
        p.members.map((m) => [m.user, m.role]),
      )
    : 'no members (cluster admins act in every project)\n';
  return `${details}\n${quotaTable(p, color)}\n${members}`;
}
