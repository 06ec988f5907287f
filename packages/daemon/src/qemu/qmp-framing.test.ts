import { describe, expect, it } from 'vitest';
import { LineSplitter, LineTooLongError } from './qmp-framing.js';

describe('LineSplitter', () => {
  it('reassembles a line split across chunks', () => {
    const s = new LineSplitter();
    expect(s.push('{"return": ')).toEqual([]);
    expect(s.push('{}, "id"')).toEqual([]);
    expect(s.push(': 1}\r\n')).toEqual(['{"return": {}, "id": 1}']);
  });

  it('returns every line of a chunk holding several, keeping the unfinished rest', () => {
    const s = new LineSplitter();
    expect(s.push('{"a":1}\r\n{"b":2}\r\n{"c"')).toEqual(['{"a":1}', '{"b":2}']);
    expect(s.push(':3}\n')).toEqual(['{"c":3}']);
  });

  it('drops blank lines', () => {
    expect(new LineSplitter().push('\r\n\n{"a":1}\n\n')).toEqual(['{"a":1}']);
  });

  it('refuses to buffer an endless line', () => {
    const s = new LineSplitter(10);
    expect(() => s.push('x'.repeat(11))).toThrow(LineTooLongError);
  });
});
