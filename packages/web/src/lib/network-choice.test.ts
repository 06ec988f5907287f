import { HerdError } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { initialNetworks, isNicError, nicsFor } from './network-choice.js';

describe('the networks of a new VM', () => {
  it('starts on default when it exists', () => {
    expect(initialNetworks(['lab', 'default'])).toEqual(['default']);
    expect(initialNetworks(['lab'])).toEqual([]);
  });

  it('sends one NIC per chosen network, none when all are unticked, and leaves it to the daemon when none is known', () => {
    expect(nicsFor(['default', 'lab'], ['lab', 'default'])).toEqual([{ network: 'lab' }, { network: 'default' }]);
    expect(nicsFor(['default'], [])).toEqual([]);
    expect(nicsFor(['default'], ['gone'])).toEqual([]);
    expect(nicsFor([], [])).toBeUndefined();
    expect(nicsFor(undefined, ['default'])).toBeUndefined();
  });

  it('tells errors about the NICs from the others', () => {
    expect(isNicError(new HerdError('validation_failed', { field: 'nics[0].network', reason: 'x' }))).toBe(true);
    expect(isNicError(new HerdError('validation_failed', { field: '/nics/0/ip', reason: 'x' }))).toBe(true);
    expect(isNicError(new HerdError('addresses_exhausted', { name: 'default', range: 'a-b' }))).toBe(true);
    expect(isNicError(new HerdError('validation_failed', { field: 'name', reason: 'x' }))).toBe(false);
    expect(isNicError(new Error('plain'))).toBe(false);
  });
});
