import type { Filter } from '../filter.js';
import { accelFilter } from './accel.js';
import { affinityFilter } from './affinity.js';
import { antiAffinityFilter } from './anti-affinity.js';
import { capacityFilter } from './capacity.js';
import { labelsFilter } from './labels.js';
import { maintenanceFilter } from './maintenance.js';
import { networksFilter } from './networks.js';
import { poolFilter } from './pool.js';

/**
 * Every filter, in the order they run: what the host is (maintenance, accelerator, labels, what
 * it reaches), then whether it has room, then the groups. A rejected host is explained by the
 * first filter that turned it down.
 */
export const defaultFilters: readonly Filter[] = [
  maintenanceFilter,
  accelFilter,
  labelsFilter,
  poolFilter,
  networksFilter,
  capacityFilter,
  antiAffinityFilter,
  affinityFilter,
];
