/** Why a VM would go where it would: the scheduler's verdict on every host, for people. */
import type { HostVerdict, PlacementExplanation } from '@herd/api';
import type { Kysely, Transaction } from 'kysely';
import { contextFor, defaultFilters, explain, type SchedulerConfig, type VmRequest } from '../scheduler/index.js';
import type { Database, VmRow } from '../store/schema.js';
import { reachOfVm } from './placement.js';
import { vmRequestOf, withGroupNames } from './placement-request.js';
import { readPlacementView, withReportedReach, type PlacementView } from './placement-view.js';
import { clusterSchedulerConfig } from './scheduler-settings.js';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * Where VM `row` would go if it were placed now, and why, as `GET /vms/{id}/placement` shows it.
 * Its own claims are left out, so its current host is judged as if the VM were not on it yet.
 * Reads without the placement lock: it changes nothing, and a placement may change the answer
 * the moment after.
 */
export async function explainPlacement(q: Q, row: VmRow, config: SchedulerConfig = clusterSchedulerConfig): Promise<PlacementExplanation> {
  const request = vmRequestOf(row, await reachOfVm(q, row.id));
  return explanationOf(row, request, await readPlacementView(q, { ignoreVm: row.id }), config);
}

/**
 * The explanation of `request` over `view`: the hosts that fit by score, best first (the first is
 * `chosen`), then the others by name, each with every filter that turned it down (the scheduler
 * stops at the first; a person fixing the placement wants them all).
 */
export function explanationOf(vm: Pick<VmRow, 'name' | 'host'>, asked: VmRequest, view: PlacementView, config: SchedulerConfig = clusterSchedulerConfig): PlacementExplanation {
  const request = withReportedReach(asked, view);
  const decision = explain(view.hosts, request, config);
  const ctx = contextFor(view.hosts, config);
  const filters = defaultFilters.filter((f) => !f.appliesTo || f.appliesTo(request));
  const fitting: HostVerdict[] = [];
  const refused: HostVerdict[] = [];
  for (const v of decision.hosts) {
    if (!v.rejectedBy) {
      fitting.push({ name: v.host, fits: true, rejections: [], weights: { ...v.weights }, score: v.score ?? 0 });
      continue;
    }
    const host = view.hosts.find((h) => h.name === v.host)!;
    const all = filters.filter((f) => !f.passes(host, request, ctx)).map((f) => ({ filter: f.name, reason: f.reason(host, request, ctx) }));
    refused.push({ name: v.host, fits: false, rejections: withGroupNames(all.length > 0 ? all : [v.rejectedBy], request), weights: {}, score: null });
  }
  for (const d of view.down) refused.push({ name: d.host, fits: false, rejections: [{ filter: d.filter, reason: d.reason }], weights: {}, score: null });
  refused.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { vm: vm.name, host: vm.host, chosen: decision.chosen ?? null, hosts: [...fitting, ...refused] };
}
