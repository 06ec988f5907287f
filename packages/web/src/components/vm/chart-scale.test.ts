import { describe, expect, it } from 'vitest';
import { niceTicks, timeTicks } from './chart-scale.js';

const MiB = 2 ** 20;

describe('chart scales', () => {
  it('tick values from 0 in round steps, reaching the maximum', () => {
    expect(niceTicks(100)).toEqual([0, 50, 100]);
    expect(niceTicks(130)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(7)).toEqual([0, 2.5, 5, 7.5]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('ticks bytes in round numbers of their binary unit', () => {
    expect(niceTicks(130 * MiB, true)).toEqual([0, 50, 100, 150].map((v) => v * MiB));
    expect(niceTicks(900, true)).toEqual([0, 500, 1000]);
  });

  it('ticks time at whole quarter-minutes, minutes or hours, at most six of them', () => {
    const from = Date.UTC(2026, 0, 1, 10, 7, 13);
    const hour = timeTicks(from, from + 3600_000);
    expect(hour.length).toBeGreaterThanOrEqual(4);
    expect(hour.length).toBeLessThanOrEqual(6);
    expect(hour.every((t) => new Date(t).getMinutes() % 10 === 0 && new Date(t).getSeconds() === 0)).toBe(true);
    const short = timeTicks(from, from + 2 * 60_000);
    expect(short.every((t) => new Date(t).getSeconds() % 30 === 0)).toBe(true);
    const day = timeTicks(from, from + 24 * 3600_000);
    expect(day.length).toBeLessThanOrEqual(6);
    expect(day.every((t) => new Date(t).getMinutes() === 0)).toBe(true);
  });
});
