import { diskCapacity, memoryCapacity, ratioOf, vcpuCapacity } from '../overcommit.js';
import type { Filter } from '../filter.js';

/** A figure for a message: whole numbers as they are, others to one decimal. */
const figure = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * Rejects a host without room for the VM's vCPUs, memory or disk, each counted against the
 * host's size times its overcommit ratio (per host, else the config's). Names the first
 * resource short: "needs 4 vCPUs, has 2.5 free of 16×4.0".
 */
export const capacityFilter: Filter = {
  name: 'capacity',
  passes: (host, vm, { config }) =>
    vm.vcpus <= vcpuCapacity(host, config) - host.used.vcpus &&
    vm.memoryMiB <= memoryCapacity(host, config) - host.used.memoryMiB &&
    vm.diskGiB <= diskCapacity(host, config) - host.used.diskGiB,
  reason(host, vm, { config }) {
    const cpuFree = vcpuCapacity(host, config) - host.used.vcpus;
    if (vm.vcpus > cpuFree) return `needs ${vm.vcpus} vCPU${vm.vcpus === 1 ? '' : 's'}, has ${figure(Math.max(cpuFree, 0))} free of ${host.cpus}×${ratioOf(host, config, 'cpu').toFixed(1)}`;
    const memFree = memoryCapacity(host, config) - host.used.memoryMiB;
    if (vm.memoryMiB > memFree)
      return `needs ${vm.memoryMiB} MiB memory, has ${figure(Math.max(memFree, 0))} MiB free of ${host.memoryMiB}×${ratioOf(host, config, 'memory').toFixed(1)}`;
    const diskFree = diskCapacity(host, config) - host.used.diskGiB;
    return `needs ${vm.diskGiB} GiB disk, has ${figure(Math.max(diskFree, 0))} GiB free of ${host.diskGiB}×${ratioOf(host, config, 'disk').toFixed(1)}`;
  },
};
