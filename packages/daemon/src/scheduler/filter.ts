import type { SchedulingContext } from './context.js';
import type { HostState, VmRequest } from './types.js';

/**
 * A yes/no test of one host for one VM, in the manner of Nova's host filters and the Kubernetes
 * scheduler's Filter plugins. Filters are pure and see one host at a time; the first one that
 * rejects a host is the one an explanation names (`rejectionOf` asks them in order).
 */
export interface Filter {
  /** Short name shown in explanations: `capacity`, `maintenance`, `anti-affinity`... */
  readonly name: string;
  /**
   * False when the filter cannot reject any host for this VM (the VM asks for nothing it tests),
   * so the scheduler skips it for the whole placement. Absent means always relevant.
   */
  appliesTo?(vm: VmRequest): boolean;
  /**
   * Whether the host passes. Runs for every host in every placement (1,000 × 10,000 calls in
   * the benchmark), so it must not allocate: the words are left to `reason`.
   */
  passes(host: HostState, vm: VmRequest, ctx: SchedulingContext): boolean;
  /** Why the host does not pass, in words for the user; asked only after `passes` said no. */
  reason(host: HostState, vm: VmRequest, ctx: SchedulingContext): string;
  /**
   * Present on filters that read only what claims never change (maintenance, accelerator,
   * labels, pools, networks; a ClaimLedger changes only `used` and `groups`): the part of the
   * VM the verdict depends on, as a string. VMs with equal keys get equal verdicts on every
   * host, so a ClaimLedger runs these filters once per key, not once per placement.
   */
  staticKey?(vm: VmRequest): string;
}
