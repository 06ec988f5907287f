/** How security groups and their rules look in tables and `show` blocks. */
import type { SecurityGroup, SecurityGroupRule } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { formatTime } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'RULES', align: 'right' },
  { header: 'NICS', align: 'right' },
  { header: 'DESCRIPTION', shrink: true },
];

const ruleColumns: readonly Column[] = [{ header: 'ID' }, { header: 'DIRECTION' }, { header: 'PROTOCOL' }, { header: 'PORTS' }, { header: 'REMOTE' }];

/** A rule's ports: `80`, `8000-8100`, or `-` (all, or a protocol without ports). */
export function formatPorts(r: Pick<SecurityGroupRule, 'portFrom' | 'portTo'>): string {
  if (r.portFrom === null) return '-';
  return r.portTo === null || r.portTo === r.portFrom ? String(r.portFrom) : `${r.portFrom}-${r.portTo}`;
}

/** The `herd secgroup list` table. */
export function secgroupTable(groups: readonly SecurityGroup[], width?: number): string {
  const rows = groups.map((g) => [g.name, String(g.rules.length), String(g.nics), g.description || '-']);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The table of a group's rules. */
export function ruleTable(rules: readonly SecurityGroupRule[]): string {
  return renderTable(
    ruleColumns,
    rules.map((r) => [r.id, r.direction, r.protocol, formatPorts(r), r.remoteCidr ?? 'any']),
  );
}

/** The `herd secgroup show` block, then its rules. */
export function secgroupDetails(g: SecurityGroup): string {
  const details = renderDetails([
    ['name', g.name],
    ['id', g.id],
    ['description', g.description || '-'],
    ['nics', String(g.nics)],
    // What the rules change: without them a NIC in the group accepts no new inbound connection.
    ['default', 'inbound denied, outbound allowed; ingress rules allow more in, egress rules limit what goes out'],
    ['created', formatTime(g.createdAt)],
  ]);
  return `${details}\n${g.rules.length ? ruleTable(g.rules) : 'no rules\n'}`;
}
