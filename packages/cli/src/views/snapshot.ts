/** How a VM's snapshots look: a tree, children under their parent, the current one marked. */
import type { Snapshot } from '@herd/api';
import { paint } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatAge } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'NAME' },
  { header: 'MEMORY' },
  { header: 'VM-STATE' },
  { header: 'CREATED', align: 'right' },
  { header: 'DESCRIPTION', shrink: true },
];

/** A snapshot with the text drawn before its name: the current marker and the tree branches. */
interface TreeRow {
  readonly snapshot: Snapshot;
  readonly prefix: string;
}

/**
 * Orders snapshots depth first, each under its parent, siblings in the order given (the API
 * gives oldest first). A snapshot whose parent is not in the list (deleted, or a cycle in bad
 * data) is drawn as a root, so that no snapshot is ever left out.
 */
export function snapshotTree(snapshots: readonly Snapshot[]): TreeRow[] {
  const names = new Set(snapshots.map((s) => s.name));
  const children = new Map<string | null, Snapshot[]>();
  for (const s of snapshots) {
    const parent = s.parent !== null && names.has(s.parent) ? s.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const rows: TreeRow[] = [];
  const seen = new Set<string>();
  const walk = (s: Snapshot, branch: string, indent: string) => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    rows.push({ snapshot: s, prefix: branch });
    const kids = (children.get(s.name) ?? []).filter((k) => !seen.has(k.name));
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      walk(k, `${indent}${last ? '└─ ' : '├─ '}`, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  for (const root of children.get(null) ?? []) walk(root, '', '');
  for (const s of snapshots) walk(s, '', '');
  return rows;
}

/** The `herd snapshot list` table; `*` before a name marks the snapshot the VM runs on top of. */
export function snapshotTable(snapshots: readonly Snapshot[], color: boolean, width?: number): string {
  const rows = snapshotTree(snapshots).map(({ snapshot: s, prefix }) => [
    `${s.current ? '* ' : '  '}${prefix}${s.current ? paint(s.name, 'bold', color) : s.name}`,
    s.withMemory ? 'yes' : 'no',
    s.vmState,
    formatAge(s.createdAt),
    s.description || '-',
  ]);
  return renderTable(columns, rows, { maxWidth: width });
}
