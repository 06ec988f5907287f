import { describe, expect, it } from 'vitest';
import { seeded } from '../alerts/testing/seeded-random.js';
import { holtUpdate, msToReach, type HoltState } from './holt.js';
import { approxDuration } from './approx-duration.js';

const GiB = 1024 ** 3;
const hour = 3_600_000;

describe("Holt's linear trend", () => {
  it('predicts when a filling pool is full within 10%', () => {
    // 100 GiB pool, 20 GiB used, filling 4 GiB/h with ±64 MiB of noise, sampled every 10 s for 1 h.
    const random = seeded(7);
    const capacity = 100 * GiB;
    const rate = (4 * GiB) / hour;
    let state: HoltState | undefined;
    const start = 1_700_000_000_000;
    for (let t = 0; t <= hour; t += 10_000) state = holtUpdate(state, start + t, 20 * GiB + rate * t + (random() - 0.5) * 128 * 1024 ** 2);
    const predicted = msToReach(state!, capacity)!;
    const truth = (capacity - (20 * GiB + rate * hour)) / rate; // 19 h
    console.log(`forecast: predicted ${(predicted / hour).toFixed(2)} h, truth ${(truth / hour).toFixed(2)} h, error ${((100 * Math.abs(predicted - truth)) / truth).toFixed(1)}%`);
    expect(Math.abs(predicted - truth) / truth).toBeLessThan(0.1);
    expect(Math.abs(state!.trend - rate) / rate).toBeLessThan(0.1);
  });

  it('has no exhaustion time for a shrinking series, and zero when already full', () => {
    let s: HoltState | undefined;
    for (let i = 0; i < 20; i++) s = holtUpdate(s, i * 1000, 100 - i);
    expect(msToReach(s!, 200)).toBeNull();
    expect(msToReach({ n: 5, level: 10, trend: 1, time: 0 }, 10)).toBe(0);
  });

  it('ignores points that do not move time forward', () => {
    const s = holtUpdate(holtUpdate(undefined, 1000, 1), 2000, 2);
    expect(holtUpdate(s, 2000, 50)).toBe(s);
  });

  it('words durations roughly', () => {
    expect(approxDuration(3 * hour + 10 * 60_000)).toBe('~3 h');
    expect(approxDuration(45 * 60_000)).toBe('~45 min');
    expect(approxDuration(72 * hour)).toBe('~3 d');
  });
});
