import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { checkName, parseDiskBytes, parseMemoryMiB, parseNonNegativeInt, parsePositiveInt } from './options.js';

describe('parseMemoryMiB', () => {
  it.each([
    ['256M', 256],
    ['256', 256],
    ['1G', 1024],
    ['1.5G', 1536],
    ['512MiB', 512],
    ['2048k', 2],
  ])('%s is %i MiB', (text, mib) => {
    expect(parseMemoryMiB(text)).toBe(mib);
  });

  it('rejects what is not a size, or not whole MiB', () => {
    expect(() => parseMemoryMiB('lots')).toThrow(InvalidArgumentError);
    expect(() => parseMemoryMiB('-1G')).toThrow(/not a size/);
    expect(() => parseMemoryMiB('1000k')).toThrow(/whole number of MiB/);
  });
});

describe('parseDiskBytes', () => {
  it('reads units, and a bare number as GiB', () => {
    expect(parseDiskBytes('1G')).toBe(1024 ** 3);
    expect(parseDiskBytes('512M')).toBe(512 * 1024 ** 2);
    expect(parseDiskBytes('2')).toBe(2 * 1024 ** 3);
  });

  it('rejects what is not a size', () => {
    expect(() => parseDiskBytes('1 gallon')).toThrow(InvalidArgumentError);
  });
});

describe('integers', () => {
  it('accept whole numbers only', () => {
    expect(parsePositiveInt('4')).toBe(4);
    expect(parseNonNegativeInt('0')).toBe(0);
    expect(() => parsePositiveInt('0')).toThrow(/1 or more/);
    expect(() => parsePositiveInt('1.5')).toThrow(/whole number/);
    expect(() => parseNonNegativeInt('-3')).toThrow(InvalidArgumentError);
    expect(() => parsePositiveInt('99999999999999999999')).toThrow(/too large/);
  });
});

describe('checkName', () => {
  it('accepts DNS labels and ids', () => {
    expect(checkName('web-1')).toBe('web-1');
    expect(checkName('0b6f6a0e-6c56-4f4b-9f7e-0c1f3c2b0a01')).toBe('0b6f6a0e-6c56-4f4b-9f7e-0c1f3c2b0a01');
  });

  it('rejects other names with the API’s explanation', () => {
    expect(() => checkName('Web_1')).toThrow(UsageError);
    expect(() => checkName('Web_1')).toThrow(/not a valid name/);
    expect(() => checkName('')).toThrow(/cannot be empty/);
  });
});
