/** Handlers of live migration, host drains and rebalancing. */
import { HerdError } from '@herd/api';
import type { HandlerGroup } from '../handler.js';
import { replyOperation } from '../reply-operation.js';
import type { Services } from '../services.js';

/**
 * A drain is asked of the host itself (the request is forwarded there): `local` or its own
 * name. An unknown host is not_found; a known other one got here because it could not be reached.
 */
async function thisHost(s: Services, ref: string): Promise<void> {
  const me = s.cluster.hostName;
  if (ref === 'local' || ref === me) return;
  await s.hosts.get(ref);
  throw new HerdError('host_unavailable', { host: ref, reason: `was asked for, but ${me} answered` });
}

/** Cluster routes. */
export const clusterHandlers: HandlerGroup<'startHostMaintenance' | 'endHostMaintenance' | 'evacuateHost' | 'getRebalancePlan' | 'migrateVm' | 'prepareMigration' | 'finishMigration'> = (s) => ({
  startHostMaintenance: async ({ params, query }, reply) => {
    await thisHost(s, params.id);
    return replyOperation(reply, s.ops, (await s.cluster.drain.maintenance(true))!, query);
  },
  endHostMaintenance: async ({ params }) => {
    await thisHost(s, params.id);
    await s.cluster.drain.maintenance(false);
    return s.hosts.get(s.cluster.hostName);
  },
  evacuateHost: async ({ params, query }, reply) => {
    await thisHost(s, params.id);
    return replyOperation(reply, s.ops, await s.cluster.drain.evacuate(), query);
  },
  getRebalancePlan: async () => {
    const plan = await s.cluster.rebalancer.plan();
    const { automation, threshold } = s.cluster.rebalancer.settings;
    return { automation, threshold, imbalance: plan.imbalance, loads: plan.loads, imbalanceAfter: plan.imbalanceAfter, moves: plan.moves.map((m) => ({ vm: m.vm, vmId: m.vmId, from: m.from, to: m.to, imbalanceAfter: m.imbalanceAfter })) };
  },
  migrateVm: async ({ params, query, body }, reply) => replyOperation(reply, s.ops, await s.cluster.migrations.start(params.id, body), query),
  prepareMigration: ({ params, body }) => s.cluster.migrationTarget.prepare(params.id, body),
  finishMigration: async ({ params, body }) => {
    await s.cluster.migrationTarget.finish(params.id, body.outcome);
    return { ok: true };
  },
});
