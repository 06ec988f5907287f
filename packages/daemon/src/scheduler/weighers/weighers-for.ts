import type { SchedulerConfig } from '../config.js';
import type { Weigher } from '../weigher.js';
import { loadWeigher } from './load.js';
import { packWeigher } from './pack.js';
import { softAffinityWeigher } from './soft-affinity.js';
import { softAntiAffinityWeigher } from './soft-anti-affinity.js';
import { spreadWeigher } from './spread.js';

/**
 * The weighers a config uses: spread or pack (by `strategy`), load, soft affinity and soft
 * anti-affinity. Priority is not a weigher: it orders a batch (see `placeMany`).
 */
export function weighersFor(config: SchedulerConfig): readonly Weigher[] {
  return [config.strategy === 'pack' ? packWeigher : spreadWeigher, loadWeigher, softAffinityWeigher, softAntiAffinityWeigher];
}
