import { describe, expect, it } from 'vitest';
import { autoStepMs, parseDuration, parseTimeRef } from './time-range.js';

const now = Date.parse('2026-11-26T07:00:00Z');

describe('metric query times', () => {
  it('parses durations with units; a bare number is seconds', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('-1h')).toBeUndefined();
  });

  it('parses now, relative times and RFC 3339', () => {
    expect(parseTimeRef('now', now)).toBe(now);
    expect(parseTimeRef('-1h', now)).toBe(now - 3_600_000);
    expect(parseTimeRef('15m', now)).toBe(now - 900_000);
    expect(parseTimeRef('2026-11-26T06:00:00Z', now)).toBe(now - 3_600_000);
    expect(parseTimeRef('2026-11-26T08:00:00+02:00', now)).toBe(now - 3_600_000);
    expect(parseTimeRef('2026-11-26T06:00:00.250Z', now)).toBe(now - 3_600_000 + 250);
  });

  it('refuses what is not a time', () => {
    expect(parseTimeRef('yesterday', now)).toBeUndefined();
    expect(parseTimeRef('2026-11-26', now)).toBeUndefined();
    expect(parseTimeRef('2026-13-45T99:00:00Z', now)).toBeUndefined();
    expect(parseTimeRef('-1y', now)).toBeUndefined();
  });

  it('chooses raw points for short ranges and whole-minute buckets for long ones', () => {
    expect(autoStepMs(3_600_000)).toBeUndefined();
    expect(autoStepMs(24 * 3_600_000)).toBe(120_000);
    expect(autoStepMs(14 * 86_400_000)).toBe(28 * 60_000);
  });
});
