/** Telling "that name is taken" apart from other failed inserts, on either engine. */

/**
 * Whether `e` is the database refusing a row because `columns` of `table` (together) must be
 * unique. SQLite says so in the message (`UNIQUE constraint failed: nics.network_id, nics.ip`);
 * PostgreSQL with code 23505, the table, and the key in the detail (`Key (network_id, ip)=(...)
 * already exists.`).
 */
export function isUniqueViolation(e: unknown, table: string, ...columns: string[]): boolean {
  if (String(e).includes(`UNIQUE constraint failed: ${columns.map((c) => `${table}.${c}`).join(', ')}`)) return true;
  if (typeof e !== 'object' || e === null) return false;
  const { code, table: t, detail } = e as { code?: unknown; table?: unknown; detail?: unknown };
  return code === '23505' && t === table && typeof detail === 'string' && detail.startsWith(`Key (${columns.join(', ')})=`);
}
