import { HerdError } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { resolveAccel } from './resolve-accel.js';

describe('resolveAccel', () => {
  const tcgHost = { accel: 'tcg' as const, kvmUsable: false, reason: '/dev/kvm not present' };
  const kvmHost = { accel: 'kvm' as const, kvmUsable: true, reason: 'KVM works' };
  it('auto follows the host', () => {
    expect(resolveAccel('auto', tcgHost)).toBe('tcg');
    expect(resolveAccel('auto', kvmHost)).toBe('kvm');
  });
  it('a VM may ask for TCG anywhere, and for KVM only where it works', () => {
    expect(resolveAccel('tcg', kvmHost)).toBe('tcg');
    expect(resolveAccel('kvm', kvmHost)).toBe('kvm');
    expect(() => resolveAccel('kvm', tcgHost)).toThrow(HerdError);
    expect(() => resolveAccel('kvm', tcgHost)).toThrow(/not usable on this host \(\/dev\/kvm not present\)/);
  });
});
