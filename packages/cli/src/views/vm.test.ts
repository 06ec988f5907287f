import { describe, expect, it } from 'vitest';
import { sampleVm } from '../test-support/fixtures.js';
import { addressCell, vmTable } from './vm.js';

describe('the ADDRESSES column of vm list', () => {
  it('shows the first address and how many more, never a cut one', () => {
    expect(addressCell([])).toBe('-');
    expect(addressCell(undefined)).toBe('-');
    expect(addressCell(['10.0.0.5'])).toBe('10.0.0.5');
    expect(addressCell(['10.0.0.5', '10.1.0.5', '10.2.0.5'])).toBe('10.0.0.5 +2');
  });

  it('is left out when the terminal is too narrow for it', () => {
    const base = sampleVm();
    const vm = sampleVm('web1', { status: { ...base.status, addresses: ['10.177.0.10'] } });
    const wide = vmTable([vm], false, 200);
    expect(wide.split('\n')[0]).toMatch(/\sADDRESSES$/);
    const narrow = vmTable([vm], false, 70);
    expect(narrow).not.toContain('ADDRESSES');
    expect(narrow).not.toContain('10.177.0.10');
    expect(vmTable([vm], false)).toContain('10.177.0.10');
  });
});
