import { describe, expect, it } from 'vitest';
import { escapeByte, splitAtEscape } from './escape.js';

describe('splitAtEscape', () => {
  it('passes input without Ctrl-] through whole', () => {
    const chunk = Buffer.from('ls\r');
    expect(splitAtEscape(chunk)).toEqual({ send: chunk, detach: false });
  });

  it('sends what came before Ctrl-] and detaches', () => {
    const { send, detach } = splitAtEscape(Buffer.concat([Buffer.from('ab'), Buffer.of(escapeByte), Buffer.from('cd')]));
    expect(send.toString()).toBe('ab');
    expect(detach).toBe(true);
  });
});
