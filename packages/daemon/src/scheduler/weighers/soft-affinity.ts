import type { Weigher } from '../weigher.js';

/**
 * Soft affinity: scores the share of the VM's soft affinity groups' members that the host holds
 * (averaged over those groups; a group with no members yet adds 0): the host holding most of the
 * group wins.
 */
export const softAffinityWeigher: Weigher = {
  name: 'soft-affinity',
  weight: (config) => config.weights.softAffinity,
  appliesTo: (vm) => vm.groups?.some((g) => !g.hard && g.policy === 'affinity') ?? false,
  score(host, vm, ctx) {
    let sum = 0;
    let n = 0;
    for (const g of vm.groups!) {
      if (g.hard || g.policy !== 'affinity') continue;
      const total = ctx.groupTotal(g.name);
      sum += total > 0 ? (host.groups[g.name] ?? 0) / total : 0;
      n++;
    }
    return sum / n;
  },
};
