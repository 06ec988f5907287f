import { describe, expect, it } from 'vitest';
import { fromBytes, toBytes } from './size-units.js';

describe('sizes as a number and a unit', () => {
  it('turns what was typed into bytes, or says what is wrong', () => {
    expect(toBytes('64', 'MiB')).toBe(64 * 2 ** 20);
    expect(toBytes(' 1.5 ', 'GiB')).toBe(1.5 * 2 ** 30);
    expect(toBytes('', 'GiB')).toMatch(/not a size/);
    expect(toBytes('-2', 'GiB')).toMatch(/not a size/);
    expect(toBytes('ten', 'GiB')).toMatch(/not a size/);
  });

  it('prefills with the largest unit that shows the size plainly', () => {
    expect(fromBytes(64 * 2 ** 20)).toEqual({ amount: '64', unit: 'MiB' });
    expect(fromBytes(10 * 2 ** 30)).toEqual({ amount: '10', unit: 'GiB' });
    expect(fromBytes(1.5 * 2 ** 30)).toEqual({ amount: '1.5', unit: 'GiB' });
    expect(fromBytes(1536 * 2 ** 30)).toEqual({ amount: '1.5', unit: 'TiB' });
    expect(fromBytes(1000 * 2 ** 20)).toEqual({ amount: '1000', unit: 'MiB' });
    expect(toBytes(fromBytes(123 * 2 ** 20).amount, fromBytes(123 * 2 ** 20).unit)).toBe(123 * 2 ** 20);
  });
});
