import type { SchedulerConfig } from './config.js';
import type { HostState, Overcommit } from './types.js';

// The three capacity functions run for every host in every placement: each reads its ratio
// directly rather than through ratioOf's computed key.

/** The host's overcommit ratio for one resource: its own if it sets one, else the config's. */
export function ratioOf(host: HostState, config: SchedulerConfig, resource: keyof Overcommit): number {
  return host.overcommit?.[resource] ?? config.overcommit[resource];
}

/** vCPUs the host may hand out in all: cores × ratio. */
export function vcpuCapacity(host: HostState, config: SchedulerConfig): number {
  return host.cpus * (host.overcommit?.cpu ?? config.overcommit.cpu);
}

/** Memory (MiB) the host may hand out in all. */
export function memoryCapacity(host: HostState, config: SchedulerConfig): number {
  return host.memoryMiB * (host.overcommit?.memory ?? config.overcommit.memory);
}

/** Disk (GiB) the host may hand out in all. */
export function diskCapacity(host: HostState, config: SchedulerConfig): number {
  return host.diskGiB * (host.overcommit?.disk ?? config.overcommit.disk);
}
