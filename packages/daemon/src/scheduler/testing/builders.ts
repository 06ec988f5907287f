import type { HostState, VmRequest } from '../types.js';

/**
 * A host for tests: 16 cores, 64 GiB, 1000 GiB, nothing claimed, KVM, pool `local`, network
 * `default`, no labels, no metrics; `over` replaces any of it.
 */
export function testHost(name: string, over: Partial<HostState> = {}): HostState {
  return {
    name,
    cpus: 16,
    memoryMiB: 65536,
    diskGiB: 1000,
    used: { vcpus: 0, memoryMiB: 0, diskGiB: 0 },
    labels: {},
    maintenance: false,
    accel: 'kvm',
    pools: ['local'],
    networks: ['default'],
    groups: {},
    ...over,
  };
}

/** A VM for tests: 1 vCPU, 1 GiB, 10 GiB, asking for nothing else; `over` replaces any of it. */
export function testVm(name: string, over: Partial<VmRequest> = {}): VmRequest {
  return { name, vcpus: 1, memoryMiB: 1024, diskGiB: 10, ...over };
}
