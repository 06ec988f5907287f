import { describe, expect, it } from 'vitest';
import { checkVerbatimValue, escapeOptionValue, UnsafeOptionValueError } from './escape.js';

describe('escapeOptionValue', () => {
  it('doubles every comma', () => {
    expect(escapeOptionValue('/a,b,,c')).toBe('/a,,b,,,,c');
    expect(escapeOptionValue('plain')).toBe('plain');
    expect(escapeOptionValue('')).toBe('');
  });

  it('leaves other option syntax inert once commas are doubled', () => {
    expect(escapeOptionValue('x,driver=raw')).toBe('x,,driver=raw');
  });

  it('rejects NUL, LF and CR', () => {
    for (const bad of ['a\0b', 'a\nb', 'a\rb']) {
      expect(() => escapeOptionValue(bad)).toThrow(UnsafeOptionValueError);
      expect(() => checkVerbatimValue(bad)).toThrow(UnsafeOptionValueError);
    }
  });
});

describe('checkVerbatimValue', () => {
  it('returns the value unchanged, commas included', () => {
    expect(checkVerbatimValue('console=ttyS0,115200')).toBe('console=ttyS0,115200');
  });
});
