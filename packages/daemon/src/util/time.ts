/** Timestamps as stored and served: RFC 3339 UTC strings. */

/** The current time as an RFC 3339 string. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
