import type { SchedulerConfig } from '../config.js';
import { diskCapacity, memoryCapacity, vcpuCapacity } from '../overcommit.js';
import type { HostState } from '../types.js';

/**
 * The unclaimed share of the host's scarcest resource (vCPUs, memory or disk, each against its
 * overcommitted capacity), within 0..1. The scarcest, not the average: a host with its memory
 * all claimed takes no VM however idle its CPUs. A resource the host has none of is left out.
 */
export function freeFraction(host: HostState, config: SchedulerConfig): number {
  let free = 1;
  const cpu = vcpuCapacity(host, config);
  if (cpu > 0) free = Math.min(free, (cpu - host.used.vcpus) / cpu);
  const mem = memoryCapacity(host, config);
  if (mem > 0) free = Math.min(free, (mem - host.used.memoryMiB) / mem);
  const disk = diskCapacity(host, config);
  if (disk > 0) free = Math.min(free, (disk - host.used.diskGiB) / disk);
  return Math.max(0, free);
}
