/** Self-healing: restart policy and its history, health checks, watchdog, port forwards. */
import type { Kysely } from 'kysely';

/** Adds the self-healing columns to `vms`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const add = (column: string, type: 'text' | 'integer', dflt?: string | number) =>
    db.schema
      .alterTable('vms')
      .addColumn(column, type, (c) => (dflt === undefined ? c : c.notNull().defaultTo(dflt)))
      .execute();
  await add('restart_policy', 'text', 'no');
  await add('restart_max', 'integer', 5);
  await add('restart_window_s', 'integer', 600);
  await add('health_check', 'text');
  await add('watchdog', 'text', 'off');
  await add('port_forwards', 'text', '[]');
  // Observed: when the policy restarted the VM within the window (JSON array of ms), and when
  // the next restart is due.
  await add('restart_times', 'text', '[]');
  await add('next_restart_at', 'text');
  await add('health', 'text', 'none');
}
