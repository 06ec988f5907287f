/** What a series' target is (a VM, the host, a pool), read from its metric name's prefix. */
import type { MetricTarget } from '@herd/api';

/** The kind of thing a metric is about: `vm_*` metrics are about VMs, `host_*` the host, `pool_*` pools. */
export function targetTypeOf(metric: string): MetricTarget['type'] {
  if (metric.startsWith('vm_')) return 'vm';
  if (metric.startsWith('host_')) return 'host';
  if (metric.startsWith('pool_')) return 'pool';
  return 'other';
}

/** Looks up how to show a series target (a VM's name for its id). Never throws. */
export type DescribeTarget = (metric: string, target: string) => Promise<MetricTarget>;

/** A short human phrase for a target: `vm web1`, `host`, `pool default`. */
export function targetPhrase(t: MetricTarget): string {
  return t.type === 'host' ? 'host' : `${t.type === 'other' ? 'target' : t.type} ${t.name}`;
}

/**
 * Builds a {@link DescribeTarget} that shows VM series by the VM's name (`web1`, or `web1/vcpu0`
 * for a vCPU target `VMID/vcpu0`), looked up with `vmName` and remembered.
 */
export function describeTargetWith(vmName: (id: string) => Promise<string | undefined>): DescribeTarget {
  const names = new Map<string, string>();
  return async (metric, target) => {
    const type = targetTypeOf(metric);
    if (type !== 'vm') return { type, id: target, name: target };
    const [vmId = target, rest] = splitVcpu(target);
    let name = names.get(vmId);
    if (name === undefined) {
      name = (await vmName(vmId).catch(() => undefined)) ?? vmId;
      if (names.size > 10_000) names.clear();
      names.set(vmId, name);
    }
    return { type, id: target, name: rest ? `${name}/${rest}` : name };
  };
}

/** Reports whether a series target belongs to a rule's target: the same, or a part of it (`VMID/vcpu0` of `VMID`). */
export function targetMatches(ruleTarget: string, seriesTarget: string): boolean {
  return ruleTarget === '*' || ruleTarget === seriesTarget || seriesTarget.startsWith(`${ruleTarget}/`);
}

function splitVcpu(target: string): [string, string | undefined] {
  const i = target.indexOf('/');
  return i < 0 ? [target, undefined] : [target.slice(0, i), target.slice(i + 1)];
}
