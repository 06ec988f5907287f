import { chooseHost } from './choose-host.js';
import { defaultSchedulerConfig, type SchedulerConfig } from './config.js';
import { contextFor } from './context.js';
import { noHostFits, type NoHostFits } from './no-host-fits.js';
import { pipelineFor } from './pipeline.js';
import type { HostState, VmRequest } from './types.js';

/** Where a VM goes, or why it goes nowhere. */
export type Placement = { readonly ok: true; readonly host: string } | { readonly ok: false; readonly error: NoHostFits };

/**
 * Picks the host for `vm` among `hosts`: the filters, then the weighers, the best score winning
 * and ties going to the name that sorts first (`explain` says why). Claims nothing: to place VMs
 * one after another, each seeing the ones before, use a ClaimLedger. Looks at every host once
 * and builds no explanation unless no host fits.
 */
export function place(hosts: readonly HostState[], vm: VmRequest, config: SchedulerConfig = defaultSchedulerConfig): Placement {
  const ctx = contextFor(hosts, config);
  const i = chooseHost(hosts, vm, ctx, pipelineFor(vm, config));
  return i >= 0 ? { ok: true, host: hosts[i]!.name } : { ok: false, error: noHostFits(hosts, vm, ctx) };
}
