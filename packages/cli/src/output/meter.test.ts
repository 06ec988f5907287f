import { describe, expect, it } from 'vitest';
import { renderMeter } from './meter.js';

describe('renderMeter', () => {
  it.each([
    [0, '░░░░░░░░░░'],
    [0.34, '███░░░░░░░'],
    [0.5, '█████░░░░░'],
    [1, '██████████'],
  ])('fills %f of the bar', (ratio, bar) => {
    expect(renderMeter(ratio, 10)).toBe(bar);
  });

  it('shows a use over its limit, or an infinite ratio, as full and never below empty', () => {
    expect(renderMeter(1.7, 4)).toBe('████');
    expect(renderMeter(Infinity, 4)).toBe('████');
    expect(renderMeter(-1, 4)).toBe('░░░░');
  });
});
