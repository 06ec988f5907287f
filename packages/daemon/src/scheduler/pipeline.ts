import type { SchedulerConfig } from './config.js';
import type { SchedulingContext } from './context.js';
import type { Filter } from './filter.js';
import { defaultFilters } from './filters/default-filters.js';
import type { HostState, Rejection, VmRequest } from './types.js';
import type { Weigher } from './weigher.js';
import { weighersFor } from './weighers/weighers-for.js';

/** The filters and weighers that matter for one VM, with each weigher's weight. */
export interface Pipeline {
  /** Every filter that applies to the VM, in order. */
  readonly filters: readonly Filter[];
  /** Those of `filters` with a static key (their verdicts a ClaimLedger caches)... */
  readonly staticFilters: readonly Filter[];
  /** ...and the rest, which read what claims change. */
  readonly dynamicFilters: readonly Filter[];
  readonly weighers: readonly Weigher[];
  /** `weights[i]` is the multiplier of `weighers[i]`, never 0. */
  readonly weights: readonly number[];
}

const weighersByConfig = new WeakMap<SchedulerConfig, readonly Weigher[]>();

/**
 * Drops the filters and weighers that cannot tell hosts apart for this VM (it asks for nothing
 * they test, or their weight is 0), so the per-host loops run only the rest.
 */
export function pipelineFor(vm: VmRequest, config: SchedulerConfig): Pipeline {
  let all = weighersByConfig.get(config);
  if (!all) weighersByConfig.set(config, (all = weighersFor(config)));
  const filters = defaultFilters.filter((f) => !f.appliesTo || f.appliesTo(vm));
  const weighers: Weigher[] = [];
  const weights: number[] = [];
  for (const w of all) {
    const weight = w.weight(config);
    if (weight === 0 || (w.appliesTo && !w.appliesTo(vm))) continue;
    weighers.push(w);
    weights.push(weight);
  }
  return { filters, staticFilters: filters.filter((f) => f.staticKey), dynamicFilters: filters.filter((f) => !f.staticKey), weighers, weights };
}

/** What the VM's static filters depend on: VMs with the same key pass on the same hosts. */
export function staticKeyOf(pipeline: Pipeline, vm: VmRequest): string {
  let key = '';
  for (const f of pipeline.staticFilters) key += `${f.name}=${f.staticKey!(vm)}\u0001`;
  return key;
}

/** The host's score for the VM: each weigher's score times its weight, summed in order. */
export function scoreOf(pipeline: Pipeline, host: HostState, vm: VmRequest, ctx: SchedulingContext): number {
  const { weighers, weights } = pipeline;
  let score = 0;
  for (let w = 0; w < weighers.length; w++) score += weights[w]! * weighers[w]!.score(host, vm, ctx);
  return score;
}

/** The first of `filters` that rejects the host, with its reason; undefined when all pass. */
export function rejectionOf(filters: readonly Filter[], host: HostState, vm: VmRequest, ctx: SchedulingContext): Rejection | undefined {
  for (const f of filters) if (!f.passes(host, vm, ctx)) return { filter: f.name, reason: f.reason(host, vm, ctx) };
  return undefined;
}
