/** Sample host registrations for cluster tests. */
import type { HostRegistration } from '../host-repo.js';

/** A host's registration, as the daemon makes it. */
export function registration(name: string, overrides: Partial<HostRegistration> = {}): HostRegistration {
  return {
    name,
    address: `https://${name}.example:8443`,
    cpus: 8,
    memoryMiB: 16384,
    diskGiB: 500,
    loadCpu: 0.25,
    pools: ['default'],
    networks: [],
    accel: 'tcg',
    accelPreference: 'auto',
    accelReason: '/dev/kvm is missing',
    kvmUsable: false,
    dataDir: '/var/lib/herd',
    herdVersion: '0.1.0',
    qemuVersion: '8.2.2',
    kernel: '6.1.0',
    ...overrides,
  };
}
