import type { Filter } from '../filter.js';

/** Rejects a host that cannot reach the storage pool holding the VM's disks. */
export const poolFilter: Filter = {
  name: 'pool',
  appliesTo: (vm) => vm.pool !== undefined,
  passes: (host, vm) => host.pools.includes(vm.pool!),
  reason: (_host, vm) => `cannot reach pool ${vm.pool}`,
  staticKey: (vm) => vm.pool!,
};
