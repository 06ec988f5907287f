import { describe, expect, it } from 'vitest';
import { expireRule, stepRule, type RuleCondition, type SeriesVerdict } from './rule-evaluation.js';

/** Runs samples [seconds, value] through a rule and returns the transitions with their times. */
function run(cond: RuleCondition, samples: [number, number][]): { verdict: SeriesVerdict | undefined; log: string[] } {
  let verdict: SeriesVerdict | undefined;
  const log: string[] = [];
  for (const [t, v] of samples) {
    const r = stepRule(cond, verdict, t * 1000, v);
    verdict = r.verdict;
    if (r.transition) log.push(`${t}:${r.transition}`);
  }
  return { verdict, log };
}

describe('alert rule evaluation', () => {
  const above80For30s: RuleCondition = { op: '>', threshold: 80, forMs: 30_000 };

  it('fires only once the condition has held for the whole duration', () => {
    const { log, verdict } = run(above80For30s, [[0, 50], [10, 90], [20, 95], [30, 91], [40, 92], [50, 99]]);
    expect(log).toEqual(['10:pending', '40:firing']);
    expect(verdict).toMatchObject({ phase: 'firing', since: 10_000, firedAt: 40_000, value: 99 });
  });

  it('a dip under the threshold restarts the duration', () => {
    const { log } = run(above80For30s, [[0, 90], [20, 95], [25, 70], [30, 90], [50, 90], [60, 90]]);
    expect(log).toEqual(['0:pending', '25:cleared', '30:pending', '60:firing']);
  });

  it('resolves when the value comes back', () => {
    const { log, verdict } = run(above80For30s, [[0, 90], [30, 90], [40, 85], [50, 79]]);
    expect(log).toEqual(['0:pending', '30:firing', '50:resolved']);
    expect(verdict?.phase).toBe('ok');
  });

  it('fires at once with no duration, and compares below with <', () => {
    expect(run({ op: '>', threshold: 1, forMs: 0 }, [[0, 2]]).log).toEqual(['0:firing']);
    expect(run({ op: '<', threshold: 10, forMs: 0 }, [[0, 20], [1, 5], [2, 10]]).log).toEqual(['1:firing', '2:resolved']);
  });

  it('ignores samples older than the latest one', () => {
    const { log } = run(above80For30s, [[0, 90], [40, 90], [35, 10]]);
    expect(log).toEqual(['0:pending', '40:firing']);
  });

  it('resolves a firing alert whose data stopped, and leaves fresh ones alone', () => {
    const firing = run(above80For30s, [[0, 90], [30, 90]]).verdict!;
    expect(expireRule(firing, 60_000, 60_000).transition).toBeNull();
    const stale = expireRule(firing, 90_001, 60_000);
    expect(stale.transition).toBe('resolved');
    expect(stale.verdict.phase).toBe('ok');
    const pending = run(above80For30s, [[0, 90]]).verdict!;
    expect(expireRule(pending, 61_000, 60_000).transition).toBe('cleared');
  });
});
