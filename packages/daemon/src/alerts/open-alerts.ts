/**
 * The alerts still firing when the daemon stopped, read back from the event log (the last
 * `alert.firing` of a rule and target with no `alert.resolved` after it), so that a restart
 * neither fires them again nor forgets to resolve them.
 */
import type { Alert } from '@herd/api';
import type { Db } from '../store/open-database.js';

/** How far back to look, in alert events. */
const lookBack = 5_000;

/** Firing alerts according to the event log, as their `alert.firing` events recorded them. */
export async function readOpenAlerts(db: Db): Promise<Alert[]> {
  const rows = await db
    .selectFrom('events')
    .select(['type', 'data'])
    .where('type', 'in', ['alert.firing', 'alert.resolved'])
    .orderBy('seq', 'desc')
    .limit(lookBack)
    .execute();
  const decided = new Set<string>();
  const open: Alert[] = [];
  for (const row of rows) {
    const alert = JSON.parse(row.data) as Alert;
    const key = `${alert.ruleId}\0${alert.target?.id}`;
    if (!alert.ruleId || !alert.target || decided.has(key)) continue;
    decided.add(key);
    if (row.type === 'alert.firing') open.push(alert);
  }
  return open;
}
