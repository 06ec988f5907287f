import type { SchedulerConfig } from './config.js';
import type { SchedulingContext } from './context.js';
import type { HostState, VmRequest } from './types.js';

/**
 * Ranks the hosts that passed every filter, in the manner of Nova's weighers and the Kubernetes
 * scheduler's Score plugins. A weigher scores a host 0..1 (1 best) on a fixed scale of its own,
 * not relative to the other hosts (unlike Nova's min-max normalization), so a host's score means
 * the same whichever other hosts there are, and an explanation reads directly ("spread 0.62":
 * 62% of the host unclaimed). The host's score is the sum of each score times the weigher's
 * weight; the highest wins.
 */
export interface Weigher {
  /** Name shown in explanations: `spread`, `pack`, `load`... */
  readonly name: string;
  /** Its multiplier under this config; 0 turns it off. */
  weight(config: SchedulerConfig): number;
  /**
   * False when the weigher would give every host the same score for this VM (then skipped).
   * Absent means it always applies.
   */
  appliesTo?(vm: VmRequest): boolean;
  /** 0..1, higher is better. Runs for many hosts in every placement: must not allocate. */
  score(host: HostState, vm: VmRequest, ctx: SchedulingContext): number;
  /**
   * An upper bound of `score` for any VM, from the host alone (1 when absent); the score itself
   * for a weigher that reads only the host. A ClaimLedger keeps hosts ordered by their bounds and
   * stops looking once no host left can beat the best found: the closer the bound, the sooner.
   */
  ceiling?(host: HostState, ctx: SchedulingContext): number;
}
