/** Capped exponential backoff between delivery attempts. Pure. */

/** Backoff tuning. */
export interface BackoffOptions {
  /** Delay after the first failed attempt, ms (default 1 s). */
  readonly baseMs: number;
  /** Longest delay, ms (default 5 min). */
  readonly capMs: number;
  /** Attempts before a delivery is given up as failed (default 12: about 35 min in all). */
  readonly maxAttempts: number;
}

/** Default backoff. */
export const defaultBackoff: BackoffOptions = { baseMs: 1_000, capMs: 300_000, maxAttempts: 12 };

/**
 * The delay before the next attempt after `attempts` failed ones (1, 2, ...): base × 2^(attempts-1),
 * capped, then spread by up to ±20% with `random` so that many deliveries do not retry in step.
 * Null when no attempt is left.
 */
export function retryDelay(attempts: number, o: BackoffOptions = defaultBackoff, random: () => number = Math.random): number | null {
  if (attempts >= o.maxAttempts) return null;
  const raw = Math.min(o.capMs, o.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
