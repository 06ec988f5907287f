/**
 * Rebalancing: which live migrations would even out the cluster. A host's load is its busier
 * resource as a share of what it may hand out (vCPUs or memory, after overcommit); imbalance is
 * the spread between the most and the least loaded host. The plan moves, one VM at a time, the VM
 * of the most loaded host whose move (to the host the scheduler picks for it among the others)
 * lowers the imbalance most, until it is under the threshold, no move helps, or the budget is
 * spent. Every move passes the scheduler's filters, so a plan never breaks capacity, labels or
 * hard groups. Pure, like the rest of the scheduler.
 */
import type { SchedulerConfig } from './config.js';
import { memoryCapacity, vcpuCapacity } from './overcommit.js';
import { place } from './place.js';
import type { HostState, VmRequest } from './types.js';

/** A VM the rebalancer may move: its request and where it runs. */
export interface MovableVm {
  readonly id: string;
  readonly host: string;
  readonly request: VmRequest;
}

/** One planned migration. */
export interface RebalanceMove {
  readonly vmId: string;
  readonly vm: string;
  readonly from: string;
  readonly to: string;
  /** The imbalance after this move (and the ones before it). */
  readonly imbalanceAfter: number;
}

/** A rebalancing plan. */
export interface RebalancePlan {
  /** Spread of host loads now, 0..1 and beyond (overcommitted hosts exceed 1). */
  readonly imbalance: number;
  readonly loads: Readonly<Record<string, number>>;
  readonly moves: readonly RebalanceMove[];
  /** The imbalance once every move is done. */
  readonly imbalanceAfter: number;
}

/** A host's load: the larger of its vCPU and memory shares. */
export function hostLoad(h: HostState, config: SchedulerConfig): number {
  const cpu = vcpuCapacity(h, config);
  const mem = memoryCapacity(h, config);
  return Math.max(cpu > 0 ? h.used.vcpus / cpu : 0, mem > 0 ? h.used.memoryMiB / mem : 0);
}

function spread(hosts: readonly HostState[], config: SchedulerConfig): number {
  const active = hosts.filter((h) => !h.maintenance);
  if (active.length < 2) return 0;
  const loads = active.map((h) => hostLoad(h, config));
  return Math.max(...loads) - Math.min(...loads);
}

function withClaim(h: HostState, vm: VmRequest, sign: 1 | -1): HostState {
  const groups = { ...h.groups };
  for (const g of vm.groups ?? []) groups[g.name] = (groups[g.name] ?? 0) + sign;
  return {
    ...h,
    used: { vcpus: h.used.vcpus + sign * vm.vcpus, memoryMiB: h.used.memoryMiB + sign * vm.memoryMiB, diskGiB: h.used.diskGiB + sign * vm.diskGiB },
    groups,
  };
}

/**
 * Plans at most `budget` moves that bring the imbalance under `threshold`. `vms` are the VMs
 * that may move (running, on disks the target can reach, not already migrating); their claims
 * are already in their hosts' `used`.
 */
export function planRebalance(hosts: readonly HostState[], vms: readonly MovableVm[], config: SchedulerConfig, threshold: number, budget: number): RebalancePlan {
  let state = [...hosts];
  const imbalance = spread(state, config);
  const loads = Object.fromEntries(state.map((h) => [h.name, hostLoad(h, config)]));
  const moves: RebalanceMove[] = [];
  const moved = new Set<string>();
  let current = imbalance;
  while (current > threshold && moves.length < budget) {
    const active = state.filter((h) => !h.maintenance);
    const busiest = active.reduce((a, b) => (hostLoad(b, config) > hostLoad(a, config) ? b : a), active[0]!);
    let best: { vm: MovableVm; to: string; next: HostState[]; after: number } | undefined;
    for (const vm of vms) {
      if (vm.host !== busiest.name || moved.has(vm.id)) continue;
      const without = state.map((h) => (h.name === busiest.name ? withClaim(h, vm.request, -1) : h));
      const others = without.filter((h) => h.name !== busiest.name);
      const p = place(others, vm.request, config);
      if (!p.ok) continue;
      const next = without.map((h) => (h.name === p.host ? withClaim(h, vm.request, 1) : h));
      const after = spread(next, config);
      if (after < current - 1e-9 && (!best || after < best.after)) best = { vm, to: p.host, next, after };
    }
    if (!best) break;
    state = best.next;
    current = best.after;
    moved.add(best.vm.id);
    moves.push({ vmId: best.vm.id, vm: best.vm.request.name, from: busiest.name, to: best.to, imbalanceAfter: current });
  }
  return { imbalance, loads, moves, imbalanceAfter: current };
}
