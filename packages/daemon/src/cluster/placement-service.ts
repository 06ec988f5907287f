/** Placement for the services that create VMs (create, clone, restore) and for the API's explanations. */
import type { PlacementExplanation } from '@herd/api';
import type { SchedulerConfig } from '../scheduler/index.js';
import type { Db } from '../store/open-database.js';
import type { VmRow } from '../store/schema.js';
import type { VmPlacer } from '../vm/vm-repo.js';
import { chooseHost, decide, placeVm, resolveReach } from './placement.js';
import { explainPlacement } from './placement-explanation.js';
import { vmRequestOf, type VmReach } from './placement-request.js';
import { readPlacementView } from './placement-view.js';
import { clusterSchedulerConfig } from './scheduler-settings.js';

/** Where a new VM must be able to go: what its host must reach, and a host it is pinned to. */
export interface NewVmPlacement extends VmReach {
  /** The one host it may go to; the filters still judge it. */
  readonly pin?: string;
}

/** Placement over this daemon's database. One per daemon. */
export class PlacementService {
  readonly #db: Db;
  readonly #config: SchedulerConfig;

  constructor(db: Db, config: SchedulerConfig = clusterSchedulerConfig) {
    this.#db = db;
    this.#config = config;
  }

  /**
   * The placer to give `VmRepo.insert` for a new VM: it chooses the VM's host inside the insert's
   * transaction, under the placement lock, so that the choice and the insert are one step.
   */
  placer(where: NewVmPlacement): VmPlacer {
    return async (trx, row) => {
      const reach = await resolveReach(trx, where);
      return placeVm(trx, vmRequestOf(row, reach), { config: this.#config, ...(where.pin !== undefined && { pin: where.pin }) });
    };
  }

  /**
   * Throws no_host_fits now if `row` could not be placed as things stand, for callers that would
   * otherwise find out only inside a long operation. Only advice: the placer decides.
   */
  async check(row: VmRow, where: NewVmPlacement): Promise<void> {
    const reach = await resolveReach(this.#db, where);
    decide(await readPlacementView(this.#db), vmRequestOf(row, reach), { config: this.#config, ...(where.pin !== undefined && { pin: where.pin }) });
  }

  /** Where VM `row` would go now, and why (`GET /vms/{id}/placement`). */
  explain(row: VmRow): Promise<PlacementExplanation> {
    return explainPlacement(this.#db, row, this.#config);
  }

  /** The host the scheduler would pick for VM `row` now, never one of `exclude` (see `chooseHost`). */
  chooseHost(row: VmRow, exclude: readonly string[] = []): Promise<string> {
    return chooseHost(this.#db, row, { exclude, config: this.#config });
  }
}
