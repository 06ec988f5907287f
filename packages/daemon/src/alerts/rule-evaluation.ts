/**
 * Pure evaluation of one alert rule on one series: the condition must hold for `forMs` before the
 * alert fires, and it resolves when the condition stops holding or the data stops coming. No I/O
 * and no clock: the caller passes sample times and "now".
 */
import type { AlertComparison } from '@herd/api';

/** The part of a rule that decides. */
export interface RuleCondition {
  readonly op: AlertComparison;
  readonly threshold: number;
  /** How long the condition must hold before firing, ms (0: fire on the first breaching sample). */
  readonly forMs: number;
}

/** Where one rule stands on one series. */
export interface SeriesVerdict {
  readonly phase: 'ok' | 'pending' | 'firing';
  /** When the condition started holding (pending or firing), ms; 0 when ok. */
  readonly since: number;
  /** When it fired, ms, or null. */
  readonly firedAt: number | null;
  /** The latest value seen. */
  readonly value: number;
  /** Time of the latest sample seen, ms. */
  readonly lastSeen: number;
}

/** What changed with a step: an alert became pending, fired, resolved, or a pending one cleared. */
export type Transition = 'pending' | 'firing' | 'resolved' | 'cleared' | null;

/** Reports whether `value` breaches the condition. NaN never breaches. */
export function breaches(cond: RuleCondition, value: number): boolean {
  return cond.op === '>' ? value > cond.threshold : value < cond.threshold;
}

/**
 * Feeds one sample of the series to the rule. Samples older than the last one seen are ignored.
 * Returns the new verdict and the transition it made (null: none).
 */
export function stepRule(cond: RuleCondition, prev: SeriesVerdict | undefined, time: number, value: number): { verdict: SeriesVerdict; transition: Transition } {
  if (prev && time < prev.lastSeen) return { verdict: prev, transition: null };
  const phase = prev?.phase ?? 'ok';
  if (breaches(cond, value)) {
    const since = phase === 'ok' ? time : prev!.since;
    if (phase === 'firing') return { verdict: { ...prev!, value, lastSeen: time }, transition: null };
    if (time - since >= cond.forMs) return { verdict: { phase: 'firing', since, firedAt: time, value, lastSeen: time }, transition: 'firing' };
    return { verdict: { phase: 'pending', since, firedAt: null, value, lastSeen: time }, transition: phase === 'ok' ? 'pending' : null };
  }
  const verdict: SeriesVerdict = { phase: 'ok', since: 0, firedAt: null, value, lastSeen: time };
  return { verdict, transition: phase === 'firing' ? 'resolved' : phase === 'pending' ? 'cleared' : null };
}

/**
 * Ends an alert whose series went quiet: a firing one resolves and a pending one clears when no
 * sample came for `staleMs` up to `now`. Otherwise nothing changes.
 */
export function expireRule(prev: SeriesVerdict, now: number, staleMs: number): { verdict: SeriesVerdict; transition: Transition } {
  if (prev.phase === 'ok' || now - prev.lastSeen < staleMs) return { verdict: prev, transition: null };
  return { verdict: { ...prev, phase: 'ok', since: 0, firedAt: null }, transition: prev.phase === 'firing' ? 'resolved' : 'cleared' };
}
