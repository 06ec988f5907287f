import { describe, expect, it } from 'vitest';
import { gaussian, seeded } from '../alerts/testing/seeded-random.js';
import { observe, type BaselineState } from './robust-baseline.js';

function scores(values: number[]): (number | null)[] {
  let state: BaselineState | undefined;
  return values.map((v) => {
    const r = observe(state, v);
    state = r.state;
    return r.score;
  });
}

describe('robust baseline', () => {
  const noise = gaussian(seeded(42));
  // A CPU-like series: level 30 %, noise σ 3, 2000 points.
  const series = Array.from({ length: 2000 }, () => 30 + 3 * noise());

  it('scores normal noise under 4 everywhere, with no threshold set', () => {
    const s = scores(series).filter((x): x is number => x !== null);
    expect(s.length).toBe(2000 - 30);
    expect(Math.max(...s.map(Math.abs))).toBeLessThan(4.5);
    // and most points are within 2 spreads, as normal noise should be
    expect(s.filter((x) => Math.abs(x) < 2).length / s.length).toBeGreaterThan(0.9);
  });

  it('flags an injected spike with a large score', () => {
    const spiked = [...series];
    spiked[1500] = 60;
    const s = scores(spiked);
    expect(s[1500]).toBeGreaterThan(8);
    // the spike does not teach the baseline that spikes are normal: the next points score as usual
    expect(Math.abs(s[1501]!)).toBeLessThan(4);
  });

  it('says nothing while warming up', () => {
    expect(scores([1, 100, 1, 100]).every((x) => x === null)).toBe(true);
  });

  it('learns a lasting shift instead of scoring it forever', () => {
    const shifted = [...series.slice(0, 1000), ...series.slice(0, 1000).map((v) => v + 40)];
    const s = scores(shifted);
    expect(s[1000]).toBeGreaterThan(8);
    expect(Math.max(...s.slice(1300).map((x) => Math.abs(x!)))).toBeLessThan(4.5);
  });

  it('does not score every wobble of a flat series', () => {
    const flat = Array.from({ length: 100 }, (_, i) => 1e9 + (i === 80 ? 1000 : 0));
    expect(Math.abs(scores(flat)[80]!)).toBeLessThan(4);
  });
});
