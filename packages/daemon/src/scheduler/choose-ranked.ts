import { beats } from './choose-host.js';
import type { SchedulingContext } from './context.js';
import type { HostRanking } from './host-ranking.js';
import { scoreOf, type Pipeline } from './pipeline.js';
import type { HostState, VmRequest } from './types.js';

/** Slack for the bound test when scores and bounds are not summed over the same weighers. */
const EPSILON = 1e-9;

/**
 * The same choice as `chooseHost`, found without looking at every host. Walks the hosts in
 * `ranking` order: by their bound on the score from the weighers that apply to every VM, highest
 * first, then by name. `extra` is the most the VM's other weighers can add (0 when it has none).
 * The walk stops at the first host that cannot beat the best found: with `extra` 0 a score never
 * exceeds its bound (the same products summed in the same order), so that is a host whose bound
 * is below the best score, or equal with a name after the best's; otherwise, a host whose bound
 * plus `extra` is below the best score by more than rounding. Only hosts marked in `member`
 * (those passing the static filters) and with room for the VM in `room` (each host's free vCPUs,
 * memory and disk, three to a host, as the capacity filter counts them) are looked at, and only
 * with the dynamic filters: passing over the others costs no call.
 */
export function chooseRanked(
  hosts: readonly HostState[],
  vm: VmRequest,
  ctx: SchedulingContext,
  pipeline: Pipeline,
  ranking: HostRanking,
  member: Uint8Array,
  room: Float64Array,
  extra: number,
): number {
  const { order, bounds, nameRank } = ranking;
  const filters = pipeline.dynamicFilters;
  let best = -1;
  let bestScore = -Infinity;
  hosts: for (let p = 0; p < order.length; p++) {
    const i = order[p]!;
    if (best >= 0) {
      const bound = bounds[i]!;
      if (extra === 0 ? bound < bestScore || (bound === bestScore && nameRank[i]! > nameRank[best]!) : bound + extra < bestScore - EPSILON) break;
    }
    if (member[i] === 0 || room[3 * i]! < vm.vcpus || room[3 * i + 1]! < vm.memoryMiB || room[3 * i + 2]! < vm.diskGiB) continue;
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
