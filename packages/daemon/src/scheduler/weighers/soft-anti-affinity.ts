import type { Weigher } from '../weigher.js';

/**
 * Soft anti-affinity: a host where the VM stays within a soft anti-affinity group's `maxPerHost`
 * (default 1) scores 1; one that it takes k members past the limit scores 1/(1+k). Averaged over
 * the VM's soft anti-affinity groups.
 */
export const softAntiAffinityWeigher: Weigher = {
  name: 'soft-anti-affinity',
  weight: (config) => config.weights.softAntiAffinity,
  appliesTo: (vm) => vm.groups?.some((g) => !g.hard && g.policy === 'anti-affinity') ?? false,
  score(host, vm) {
    let sum = 0;
    let n = 0;
    for (const g of vm.groups!) {
      if (g.hard || g.policy !== 'anti-affinity') continue;
      const over = (host.groups[g.name] ?? 0) + 1 - (g.maxPerHost ?? 1);
      sum += over > 0 ? 1 / (1 + over) : 1;
      n++;
    }
    return sum / n;
  },
};
