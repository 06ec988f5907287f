import type { SchedulingContext } from '../context.js';
import type { Filter } from '../filter.js';
import type { GroupRequest, HostState, VmRequest } from '../types.js';

/** The first hard affinity group of the VM that has members elsewhere but none on the host. */
function missedGroup(host: HostState, vm: VmRequest, ctx: SchedulingContext): GroupRequest | undefined {
  for (const g of vm.groups!) if (g.hard && g.policy === 'affinity' && (host.groups[g.name] ?? 0) === 0 && ctx.groupTotal(g.name) > 0) return g;
  return undefined;
}

/**
 * Hard affinity: once a hard affinity group has members anywhere, only hosts that hold some of
 * them pass. The group's first VM may go anywhere (the other filters and the weighers decide).
 */
export const affinityFilter: Filter = {
  name: 'affinity',
  appliesTo: (vm) => vm.groups?.some((g) => g.hard && g.policy === 'affinity') ?? false,
  passes: (host, vm, ctx) => missedGroup(host, vm, ctx) === undefined,
  reason(host, vm, ctx) {
    const g = missedGroup(host, vm, ctx)!;
    const total = ctx.groupTotal(g.name);
    return `group ${g.name} has ${total} member${total === 1 ? '' : 's'} on other hosts, none here`;
  },
};
