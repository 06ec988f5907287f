/**
 * The rebalancer, run by the leader: plans migrations that even out host loads
 * (scheduler/rebalance.ts) and, depending on the automation level, applies them:
 *
 *   manual   plans only; `herd cluster rebalance` shows the plan and `--apply` runs it
 *   partial  applies plans only to relieve hot hosts (a load above `hotLoad`)
 *   full     applies plans whenever the imbalance has stayed above the threshold for
 *            `sustainPasses` passes in a row
 *
 * Every VM may move, HA or not, within `budget` migrations per pass; one migration at a time.
 * Each move is asked of the VM's host, which runs it as any other migration.
 */
import type { Logger } from 'pino';
import { hostLoad, planRebalance, type MovableVm, type RebalancePlan } from '../scheduler/index.js';
import type { Db } from '../store/open-database.js';
import { clusterSchedulerConfig } from './scheduler-settings.js';
import { readPlacementView } from './placement-view.js';
import { vmRequestOf } from './placement-request.js';
import { reachOfVm } from './placement.js';

/** How the leader rebalances. */
export interface RebalanceSettings {
  readonly automation: 'manual' | 'partial' | 'full';
  /** Imbalance (spread of host loads, 0..1) above which a plan is made. */
  readonly threshold: number;
  /** Most migrations per pass. */
  readonly budget: number;
  readonly intervalMs: number;
  readonly sustainPasses: number;
  /** Load above which a host is hot (partial automation acts on it). */
  readonly hotLoad: number;
}

/** The defaults: plans only; a spread above 0.25 counts; 2 moves a pass; a pass a minute. */
export const defaultRebalanceSettings: RebalanceSettings = { automation: 'manual', threshold: 0.25, budget: 2, intervalMs: 60_000, sustainPasses: 3, hotLoad: 0.9 };

/** What the rebalancer needs. */
export interface RebalancerDeps {
  readonly db: Db;
  readonly settings: RebalanceSettings;
  readonly leading: () => boolean;
  /** Migrates VM `vmId` to host `to` (asking its host) and resolves when it is there. */
  readonly move: (vmId: string, to: string) => Promise<void>;
  readonly log: Logger;
}

/** Plans and applies rebalancing. */
export class Rebalancer {
  readonly #d: RebalancerDeps;
  #timer: NodeJS.Timeout | undefined;
  #above = 0;
  #busy = false;

  constructor(deps: RebalancerDeps) {
    this.#d = deps;
  }

  get settings(): RebalanceSettings {
    return this.#d.settings;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.pass().catch((e: unknown) => this.#d.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'rebalance pass failed')), this.#d.settings.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The plan for the cluster as it is now: running VMs whose disks every candidate reaches may move. */
  async plan(): Promise<RebalancePlan> {
    const { db, settings } = this.#d;
    const view = await readPlacementView(db);
    const up = new Set(view.hosts.map((h) => h.name));
    const rows = await db.selectFrom('vms').selectAll().where('deleting', '=', 0).where('migrating_to', 'is', null).where('state', 'in', ['running', 'paused']).execute();
    const vms: MovableVm[] = [];
    for (const row of rows) if (up.has(row.host)) vms.push({ id: row.id, host: row.host, request: vmRequestOf(row, await reachOfVm(db, row.id)) });
    return planRebalance(view.hosts, vms, clusterSchedulerConfig, settings.threshold, settings.budget);
  }

  /** Applies `plan` one migration at a time; stops at the first failure. Returns the moves done. */
  async apply(plan: RebalancePlan): Promise<number> {
    let done = 0;
    for (const m of plan.moves) {
      await this.#d.move(m.vmId, m.to);
      this.#d.log.info({ vmId: m.vmId, vm: m.vm, from: m.from, to: m.to, imbalanceAfter: Number(m.imbalanceAfter.toFixed(3)) }, 'rebalanced: VM moved');
      done++;
    }
    return done;
  }

  /** One leader pass: plan, and apply if the automation level says so. */
  async pass(): Promise<void> {
    const { settings, leading, log } = this.#d;
    if (!leading() || this.#busy) return;
    this.#busy = true;
    try {
      const plan = await this.plan();
      this.#above = plan.imbalance > settings.threshold ? this.#above + 1 : 0;
      if (plan.moves.length === 0) return;
      const view = await readPlacementView(this.#d.db);
      const hot = view.hosts.some((h) => !h.maintenance && hostLoad(h, clusterSchedulerConfig) > settings.hotLoad);
      const act = settings.automation === 'full' ? this.#above >= settings.sustainPasses : settings.automation === 'partial' ? hot : false;
      log[act ? 'info' : 'debug']({ imbalance: Number(plan.imbalance.toFixed(3)), moves: plan.moves.length, automation: settings.automation, applying: act }, 'rebalance plan');
      if (act) {
        await this.apply(plan);
        this.#above = 0;
      }
    } finally {
      this.#busy = false;
    }
  }
}
