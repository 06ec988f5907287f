/** The scheduler settings herd places VMs with: the one place their defaults are set. */
import { schedulerConfig, type SchedulerConfig } from '../scheduler/index.js';

/**
 * Overcommit as OpenStack Nova long shipped it: 16 vCPUs per CPU thread and 1.5× memory
 * (`cpu_allocation_ratio`, `ram_allocation_ratio` before Stein), disk not at all. The scheduler's
 * own defaults are Nova's later, stricter ones; herd takes the historic ratios because its guests
 * are mostly small and idle (vCPU threads that wait, memory QEMU only backs once the guest touches
 * it), and a 2-thread host must still take the dozen such guests a test run or a demo starts. A
 * host sets its own ratios (`overcommit` of its row) where that is wrong for it. Spread placement,
 * the scheduler's default weights.
 */
export const clusterSchedulerConfig: SchedulerConfig = schedulerConfig({ overcommit: { cpu: 16, memory: 1.5, disk: 1.0 } });
