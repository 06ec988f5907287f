import { describe, expect, it } from 'vitest';
import { schedulerConfig } from './config.js';
import { planRebalance, type MovableVm } from './rebalance.js';
import { testHost, testVm } from './testing/builders.js';
import type { HostState } from './types.js';

const config = schedulerConfig({ overcommit: { cpu: 1, memory: 1 } });

/** Hosts of 8 cores / 8 GiB with the given VMs (1 vCPU, 1 GiB each) on them. */
function cluster(counts: Record<string, number>, over: Partial<HostState> = {}): { hosts: HostState[]; vms: MovableVm[] } {
  const vms: MovableVm[] = [];
  const hosts = Object.entries(counts).map(([name, n]) => {
    for (let i = 0; i < n; i++) vms.push({ id: `${name}-${i}`, host: name, request: testVm(`${name}-vm${i}`, { memoryMiB: 1024, diskGiB: 1 }) });
    return testHost(name, { cpus: 8, memoryMiB: 8192, used: { vcpus: n, memoryMiB: n * 1024, diskGiB: n }, ...over });
  });
  return { hosts, vms };
}

describe('planRebalance', () => {
  it('moves VMs from the busiest host until the spread is under the threshold', () => {
    const { hosts, vms } = cluster({ a: 6, b: 0, c: 0 });
    const plan = planRebalance(hosts, vms, config, 0.2, 10);
    expect(plan.imbalance).toBeCloseTo(0.75);
    expect(plan.moves.length).toBe(4);
    expect(plan.moves.every((m) => m.from === 'a')).toBe(true);
    expect(new Set(plan.moves.map((m) => m.to))).toEqual(new Set(['b', 'c']));
    expect(plan.imbalanceAfter).toBeLessThanOrEqual(0.2);
  });

  it('keeps to the budget', () => {
    const { hosts, vms } = cluster({ a: 6, b: 0 });
    const plan = planRebalance(hosts, vms, config, 0, 1);
    expect(plan.moves).toHaveLength(1);
    expect(plan.imbalanceAfter).toBeCloseTo(0.5);
  });

  it('plans nothing for a balanced cluster, or when no move helps', () => {
    expect(planRebalance(cluster({ a: 2, b: 2 }).hosts, cluster({ a: 2, b: 2 }).vms, config, 0.1, 5).moves).toEqual([]);
    // One big VM: moving it only mirrors the imbalance.
    const hosts = [testHost('a', { cpus: 8, memoryMiB: 8192, used: { vcpus: 4, memoryMiB: 4096, diskGiB: 1 } }), testHost('b', { cpus: 8, memoryMiB: 8192 })];
    const vms = [{ id: 'big', host: 'a', request: testVm('big', { vcpus: 4, memoryMiB: 4096, diskGiB: 1 }) }];
    expect(planRebalance(hosts, vms, config, 0.1, 5).moves).toEqual([]);
  });

  it('never moves onto a host in maintenance or breaks the filters', () => {
    const { hosts, vms } = cluster({ a: 6, b: 0, c: 0 });
    const withMaint = hosts.map((h) => (h.name === 'b' ? { ...h, maintenance: true } : h));
    const plan = planRebalance(withMaint, vms, config, 0.1, 10);
    expect(plan.moves.every((m) => m.to === 'c')).toBe(true);
    // A VM whose selector only 'a' matches stays.
    const pinned = vms.map((v) => ({ ...v, request: { ...v.request, selector: { zone: 'x' } } }));
    const labelled = hosts.map((h) => (h.name === 'a' ? { ...h, labels: { zone: 'x' } } : h));
    expect(planRebalance(labelled, pinned, config, 0.1, 10).moves).toEqual([]);
  });
});
