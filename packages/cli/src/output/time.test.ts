import { describe, expect, it } from 'vitest';
import { formatAge, formatRelative } from './time.js';

describe('formatAge', () => {
  const now = Date.parse('2025-01-10T00:00:00Z');
  it.each([
    ['2025-01-09T23:59:15Z', '45s'],
    ['2025-01-09T23:30:00Z', '30m'],
    ['2025-01-09T12:00:00Z', '12h'],
    ['2025-01-01T00:00:00Z', '9d'],
  ])('%s is %s ago', (iso, age) => {
    expect(formatAge(iso, now)).toBe(age);
  });

  it('shows - for a missing or unreadable time', () => {
    expect(formatAge(null, now)).toBe('-');
    expect(formatAge('yesterday', now)).toBe('-');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2025-01-10T00:00:00Z');
  it.each([
    ['2025-02-08T00:00:00Z', 'in 29d'],
    ['2025-01-10T03:00:00Z', 'in 3h'],
    ['2025-01-09T23:30:00Z', '30m ago'],
    [null, '-'],
  ])('%s is %s', (iso, text) => {
    expect(formatRelative(iso, now)).toBe(text);
  });
});
