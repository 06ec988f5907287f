import { defaultSchedulerConfig, type SchedulerConfig } from './config.js';
import { contextFor, type SchedulingContext } from './context.js';
import { pipelineFor, rejectionOf } from './pipeline.js';
import type { HostState, Rejection, VmRequest } from './types.js';

/** What the scheduler made of one host. */
export interface HostVerdict {
  readonly host: string;
  /** The first filter that turned the host down; absent when it passed them all. */
  readonly rejectedBy?: Rejection;
  /** Each weigher's score for the host, 0..1 (1 best). */
  readonly scores?: Readonly<Record<string, number>>;
  /** Each weigher's score times its weight: its share of `score`. */
  readonly weights?: Readonly<Record<string, number>>;
  /** Sum of `weights`; the highest wins, ties go to the name that sorts first. */
  readonly score?: number;
}

/**
 * A placement decision, explained: the chosen host (absent when none fits), then every host,
 * those that passed by score (best first, ties by name), then those rejected, by name.
 */
export interface Explanation {
  readonly vm: string;
  readonly chosen?: string;
  readonly hosts: readonly HostVerdict[];
}

/**
 * Explains where `vm` would go among `hosts` and why: for every host, the filter that rejected
 * it or the weighers' scores. Changes nothing (a ClaimLedger claims). Builds objects for every
 * host, so it is for people and logs; `place` makes the same choice without them.
 */
export function explain(hosts: readonly HostState[], vm: VmRequest, config: SchedulerConfig = defaultSchedulerConfig): Explanation {
  return explainIn(hosts, vm, contextFor(hosts, config));
}

/** `explain` with a context supplied by the caller (a ClaimLedger passes its running group totals). */
export function explainIn(hosts: readonly HostState[], vm: VmRequest, ctx: SchedulingContext): Explanation {
  const { filters, weighers, weights } = pipelineFor(vm, ctx.config);
  const passed: HostVerdict[] = [];
  const rejected: HostVerdict[] = [];
  for (const host of hosts) {
    const rejectedBy = rejectionOf(filters, host, vm, ctx);
    if (rejectedBy) {
      rejected.push({ host: host.name, rejectedBy });
      continue;
    }
    const scores: Record<string, number> = {};
    const shares: Record<string, number> = {};
    let score = 0;
    weighers.forEach((weigher, w) => {
      scores[weigher.name] = weigher.score(host, vm, ctx);
      // The same arithmetic, in the same order, as scoreOf: both must reach the same host.
      shares[weigher.name] = weights[w]! * scores[weigher.name]!;
      score += shares[weigher.name]!;
    });
    passed.push({ host: host.name, scores, weights: shares, score });
  }
  passed.sort((a, b) => b.score! - a.score! || byName(a.host, b.host));
  rejected.sort((a, b) => byName(a.host, b.host));
  return { vm: vm.name, ...(passed.length > 0 ? { chosen: passed[0]!.host } : {}), hosts: [...passed, ...rejected] };
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
