import type { Filter } from '../filter.js';

/** Rejects a TCG-only host for a VM that needs KVM. A VM that asks for TCG runs anywhere. */
export const accelFilter: Filter = {
  name: 'accel',
  appliesTo: (vm) => vm.accel === 'kvm',
  passes: (host) => host.accel === 'kvm',
  reason: () => 'needs KVM, host has only TCG',
  staticKey: () => 'kvm',
};
