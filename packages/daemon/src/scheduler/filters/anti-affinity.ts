import type { Filter } from '../filter.js';
import type { GroupRequest, HostState, VmRequest } from '../types.js';

/** The first hard anti-affinity group of the VM that the host already holds its maximum of. */
function fullGroup(host: HostState, vm: VmRequest): GroupRequest | undefined {
  for (const g of vm.groups!) if (g.hard && g.policy === 'anti-affinity' && (host.groups[g.name] ?? 0) >= (g.maxPerHost ?? 1)) return g;
  return undefined;
}

/**
 * Hard anti-affinity: rejects a host that already holds `maxPerHost` (default 1) members of one
 * of the VM's hard anti-affinity groups.
 */
export const antiAffinityFilter: Filter = {
  name: 'anti-affinity',
  appliesTo: (vm) => vm.groups?.some((g) => g.hard && g.policy === 'anti-affinity') ?? false,
  passes: (host, vm) => fullGroup(host, vm) === undefined,
  reason(host, vm) {
    const g = fullGroup(host, vm)!;
    return `group ${g.name} already has ${host.groups[g.name] ?? 0} of max ${g.maxPerHost ?? 1} here`;
  },
};
