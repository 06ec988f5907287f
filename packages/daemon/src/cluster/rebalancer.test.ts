import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../store/open-database.js';
import { defaultRebalanceSettings, Rebalancer, type RebalanceSettings } from './rebalancer.js';
import { addHost, addVm, placementDb } from './testing/placement-fixtures.js';

let db: Db;
let close: () => Promise<void>;
let moves: { vm: string; to: string }[];

beforeEach(async () => {
  ({ db, close } = await placementDb());
  moves = [];
  // Hosts of 4 GiB (6 GiB to place with memory overcommitted 1.5 times). Host a carries four
  // running VMs of 1.5 GiB, so its load is 1.0; b carries none.
  await addHost(db, 'a', { memory_mib: 4096 });
  await addHost(db, 'b', { memory_mib: 4096 });
  for (const n of [1, 2, 3, 4]) await addVm(db, `v${n}`, 'a', { memory_mib: 1536, state: 'running', desired_state: 'running' });
});
afterEach(() => close());

/** A rebalancer whose moves are recorded and done in the database as a migration would leave it. */
function rebalancer(settings: Partial<RebalanceSettings>, leading = true): Rebalancer {
  return new Rebalancer({
    db,
    settings: { ...defaultRebalanceSettings, ...settings },
    leading: () => leading,
    move: async (vmId, to) => {
      const row = await db.updateTable('vms').set({ host: to }).where('id', '=', vmId).returning('name').executeTakeFirstOrThrow();
      moves.push({ vm: row.name, to });
    },
    log: pino({ level: 'silent' }),
  });
}

const hostsOf = async () => Object.fromEntries((await db.selectFrom('vms').select(['name', 'host']).orderBy('name').execute()).map((v) => [v.name, v.host]));

describe('the rebalancer', () => {
  it('only plans when manual: the plan moves VMs within the budget, and nothing moves', async () => {
    const r = rebalancer({ automation: 'manual', budget: 1 });
    const plan = await r.plan();
    expect(plan.imbalance).toBeCloseTo(1);
    expect(plan.moves).toHaveLength(1);
    expect(plan.moves[0]).toMatchObject({ from: 'a', to: 'b' });
    for (let i = 0; i < 5; i++) await r.pass();
    expect(moves).toEqual([]);
  });

  it('acts when full only once the imbalance has lasted the passes it must, then starts counting again', async () => {
    const r = rebalancer({ automation: 'full', sustainPasses: 3, budget: 1 });
    await r.pass();
    await r.pass();
    expect(moves).toEqual([]);
    await r.pass();
    expect(moves).toEqual([{ vm: expect.any(String), to: 'b' }]);
    // One VM moved (budget 1): the spread is 0.5, still above 0.25, but the count starts over.
    await r.pass();
    await r.pass();
    expect(moves).toHaveLength(1);
    await r.pass();
    expect(moves).toHaveLength(2);
    expect(Object.values(await hostsOf()).sort()).toEqual(['a', 'a', 'b', 'b']);
    // Even now: further passes move nothing.
    for (let i = 0; i < 4; i++) await r.pass();
    expect(moves).toHaveLength(2);
  });

  it('acts when partial only to relieve a hot host', async () => {
    // a's load is 1.0: not hot against a line of 1.0, hot against 0.9.
    await rebalancer({ automation: 'partial', hotLoad: 1 }).pass();
    expect(moves).toEqual([]);
    await rebalancer({ automation: 'partial', hotLoad: 0.9, budget: 5 }).pass();
    expect(Object.values(await hostsOf()).sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('moves neither stopped VMs, nor VMs that migrate, nor onto a host in maintenance, nor while not leading', async () => {
    await rebalancer({ automation: 'full', sustainPasses: 1 }, false).pass();
    expect(moves).toEqual([]);
    await db.updateTable('hosts').set({ mode: 'maintenance' }).where('name', '=', 'b').execute();
    await rebalancer({ automation: 'full', sustainPasses: 1 }).pass();
    expect(moves).toEqual([]);
    await db.updateTable('hosts').set({ mode: 'active' }).where('name', '=', 'b').execute();
    await db.updateTable('vms').set({ state: 'stopped', desired_state: 'stopped' }).where('name', 'in', ['v1', 'v2']).execute();
    await db.updateTable('vms').set({ migrating_to: 'b' }).where('name', '=', 'v3').execute();
    await rebalancer({ automation: 'full', sustainPasses: 1, budget: 5 }).pass();
    expect(moves.map((m) => m.vm)).toEqual(['v4']);
  });
});
