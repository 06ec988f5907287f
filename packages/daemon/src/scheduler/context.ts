import type { SchedulerConfig } from './config.js';
import type { HostState } from './types.js';

/**
 * What filters and weighers may know beyond the one host they look at: the config, and how many
 * members a group has across the whole cluster (the hard affinity filter needs it).
 */
export interface SchedulingContext {
  readonly config: SchedulerConfig;
  /** Members of the group on all hosts together. */
  groupTotal(group: string): number;
}

/**
 * A context for a one-off decision over `hosts`: group totals are counted on first use, by one
 * pass over the hosts per group asked about. A ClaimLedger keeps running totals instead.
 */
export function contextFor(hosts: readonly HostState[], config: SchedulerConfig): SchedulingContext {
  const totals = new Map<string, number>();
  return {
    config,
    groupTotal(group) {
      let total = totals.get(group);
      if (total === undefined) {
        total = 0;
        for (const h of hosts) total += h.groups[group] ?? 0;
        totals.set(group, total);
      }
      return total;
    },
  };
}
