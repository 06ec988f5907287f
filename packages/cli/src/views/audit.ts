/** How audit records look in tables. */
import type { AuditRecord } from '@herd/api';
import { renderTable, type Column } from '../output/table.js';

/** The `herd audit list` table: newest first, as the daemon sends them. */
export function auditTable(records: readonly AuditRecord[], width?: number): string {
  const columns: Column[] = [
    { header: 'SEQ', align: 'right' },
    { header: 'TIME' },
    { header: 'USER', shrink: true },
    { header: 'PROJECT', shrink: true },
    { header: 'ACTION' },
    { header: 'TARGET', shrink: true },
    { header: 'RESULT' },
  ];
  const rows = records.map((r) => [String(r.seq), r.at, r.user, r.project ?? '-', r.action, r.target ?? '-', r.result === 'ok' ? 'ok' : `error ${r.status}`]);
  return renderTable(columns, rows, { maxWidth: width });
}
