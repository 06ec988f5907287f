import { describe, expect, it } from 'vitest';
import { paint, visibleWidth } from './style.js';
import { renderTable, truncate } from './table.js';

describe('renderTable', () => {
  it('pads columns to the widest cell, right-aligns numbers, leaves no trailing spaces', () => {
    const out = renderTable(
      [{ header: 'NAME' }, { header: 'CPUS', align: 'right' }, { header: 'IMAGE' }],
      [
        ['web1', '1', 'tiny'],
        ['database-01', '16', 'debian'],
      ],
    );
    expect(out).toBe(['NAME          CPUS   IMAGE', 'web1             1   tiny', 'database-01     16   debian', ''].join('\n'));
  });

  it('prints the header alone for no rows', () => {
    expect(renderTable([{ header: 'NAME' }, { header: 'STATE' }], [])).toBe('NAME   STATE\n');
  });

  it('aligns colored cells by their visible width', () => {
    const out = renderTable([{ header: 'STATE' }, { header: 'PID' }], [[paint('running', 'green', true), '123']]);
    const [header, row] = out.split('\n');
    expect(visibleWidth(row ?? '')).toBe(header?.length);
  });

  it('truncates shrinkable columns, widest first, to fit the width', () => {
    const rows = [['a'.repeat(30), 'b'.repeat(10), 'fixed-column']];
    const out = renderTable([{ header: 'A', shrink: true }, { header: 'B', shrink: true }, { header: 'C' }], rows, { maxWidth: 40 });
    for (const line of out.trimEnd().split('\n')) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
    expect(out).toContain('fixed-column');
    expect(out).toContain('…');
    expect(out).toContain('b'.repeat(10));
  });

  it('overflows rather than cutting columns that may not shrink', () => {
    const out = renderTable([{ header: 'ID' }], [['x'.repeat(50)]], { maxWidth: 20 });
    expect(out).toContain('x'.repeat(50));
  });
});

describe('truncate', () => {
  it('keeps text that fits and marks cut text with an ellipsis', () => {
    expect(truncate('hello', 5)).toBe('hello');
    expect(truncate('hello world', 6)).toBe('hello…');
    expect(truncate(paint('running', 'green', true), 4)).toBe('run…');
  });
});
