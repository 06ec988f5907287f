import { describe, expect, it } from 'vitest';
import { maxItems, maxString, redactParams, redactValue } from './redact.js';

describe('redactParams', () => {
  it('replaces the values of secret-looking keys at any depth', () => {
    const body = { name: 'a', password: 'p', a: { Secret: 's', list: [{ passphrase: 'x', sshKey: 'k', keep: 1 }] }, apiToken: 't' };
    expect(redactParams({ token: 'q' }, body)).toEqual({
      query: { token: '[redacted]' },
      body: { name: 'a', password: '[redacted]', a: { Secret: '[redacted]', list: [{ passphrase: '[redacted]', sshKey: '[redacted]', keep: 1 }] }, apiToken: '[redacted]' },
    });
  });

  it('records an absent body or query as null', () => {
    expect(redactParams(undefined, undefined)).toEqual({ query: null, body: null });
  });

  it('cuts huge strings and arrays, and deep nesting', () => {
    const long = 'x'.repeat(maxString + 10);
    expect(redactValue(long)).toBe(`${'x'.repeat(maxString)}…[10 more characters]`);
    const items = redactValue(Array.from({ length: maxItems + 5 }, (_, i) => i)) as unknown[];
    expect(items).toHaveLength(maxItems + 1);
    expect(items.at(-1)).toBe('[5 more items]');
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(JSON.stringify(redactValue(deep))).toContain('[too deep]');
    expect(redactValue(Buffer.from('abc'))).toBe('[3 bytes]');
  });
});
