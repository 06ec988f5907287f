/**
 * The placement scheduler: filters, then weighers, over the cluster's hosts, in the manner of
 * OpenStack Nova's filter scheduler and the Kubernetes scheduler framework. Pure: no I/O, no
 * clock, no randomness; the same hosts and VM give the same host.
 */
export { ClaimLedger, type Claim, type ClaimResult, type LedgerPlacement } from './claim-ledger.js';
export { defaultSchedulerConfig, schedulerConfig, type SchedulerConfig, type SchedulerConfigInput, type WeigherWeights } from './config.js';
export { contextFor, type SchedulingContext } from './context.js';
export { explain, type Explanation, type HostVerdict } from './explain.js';
export type { Filter } from './filter.js';
export { defaultFilters } from './filters/default-filters.js';
export { MAX_GROUPS, noHostFitsMessage, type HostRejection, type NoHostFits } from './no-host-fits.js';
export { place, type Placement } from './place.js';
export { hostLoad, planRebalance, type MovableVm, type RebalanceMove, type RebalancePlan } from './rebalance.js';
export { placeMany } from './place-many.js';
export type { Accel, GroupRequest, HostState, HostUsage, Overcommit, Rejection, VmRequest } from './types.js';
export type { Weigher } from './weigher.js';
export { weighersFor } from './weighers/weighers-for.js';
