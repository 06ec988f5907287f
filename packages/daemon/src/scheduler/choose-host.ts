import type { SchedulingContext } from './context.js';
import { scoreOf, type Pipeline } from './pipeline.js';
import type { HostState, VmRequest } from './types.js';

/**
 * The best of two scored hosts: the higher score, or on a tie the name that sorts first (UTF-16
 * code units, not locale, so the same everywhere).
 */
export function beats(score: number, name: string, bestScore: number, bestName: string): boolean {
  return score > bestScore || (score === bestScore && name < bestName);
}

/**
 * The fast path of a placement, looking at every host: the index in `hosts` of the host the VM
 * should go to, or -1 when none passes the filters. Given `member` (1 for the hosts known to
 * pass the static filters, as a ClaimLedger keeps them), it runs only the dynamic filters, on
 * those. Allocates nothing and builds no explanation; `explain` reaches the same choice the long
 * way.
 */
export function chooseHost(hosts: readonly HostState[], vm: VmRequest, ctx: SchedulingContext, pipeline: Pipeline, member?: Uint8Array): number {
  const filters = member ? pipeline.dynamicFilters : pipeline.filters;
  let best = -1;
  let bestScore = -Infinity;
  hosts: for (let i = 0; i < hosts.length; i++) {
    if (member && member[i] === 0) continue;
    const host = hosts[i]!;
    for (let f = 0; f < filters.length; f++) if (!filters[f]!.passes(host, vm, ctx)) continue hosts;
    const score = scoreOf(pipeline, host, vm, ctx);
    if (best < 0 || beats(score, host.name, bestScore, hosts[best]!.name)) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}
