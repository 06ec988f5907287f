import type { Overcommit } from './types.js';

/** How much each weigher counts in a host's score (0 turns it off). */
export interface WeigherWeights {
  /** The spread or pack weigher, whichever `strategy` picks. */
  readonly resources: number;
  readonly load: number;
  readonly softAffinity: number;
  readonly softAntiAffinity: number;
}

/**
 * Cluster-wide scheduler settings. Build one with `schedulerConfig()` and reuse it: the
 * scheduler caches what it derives from a config object.
 */
export interface SchedulerConfig {
  /** Default overcommit ratios; a host may override each one. */
  readonly overcommit: Overcommit;
  /** `spread`: prefer the host with the most room left; `pack`: the one with the least. */
  readonly strategy: 'spread' | 'pack';
  readonly weights: WeigherWeights;
  /** CPU load (0..1) assumed for a host that has not reported metrics yet. */
  readonly unknownLoad: number;
}

/** What a caller may set; everything left out takes the default. */
export interface SchedulerConfigInput {
  readonly overcommit?: Partial<Overcommit>;
  readonly strategy?: 'spread' | 'pack';
  readonly weights?: Partial<WeigherWeights>;
  readonly unknownLoad?: number;
}

/**
 * The defaults: vCPUs 4× overcommitted, memory and disk not at all (Nova's initial allocation
 * ratios), spread placement, the free-room and load weighers equal, soft groups counting twice
 * as much, and a host without metrics taken as half busy.
 */
export const defaultSchedulerConfig: SchedulerConfig = {
  overcommit: { cpu: 4.0, memory: 1.0, disk: 1.0 },
  strategy: 'spread',
  weights: { resources: 1, load: 1, softAffinity: 2, softAntiAffinity: 2 },
  unknownLoad: 0.5,
};

/**
 * A full config from partial settings, defaults filled in. Throws a RangeError naming the
 * setting when a ratio is not above 0, a weight is negative (pick `strategy` to turn spread into
 * pack) or `unknownLoad` is outside 0..1.
 */
export function schedulerConfig(input: SchedulerConfigInput = {}): SchedulerConfig {
  const d = defaultSchedulerConfig;
  const config: SchedulerConfig = {
    overcommit: { ...d.overcommit, ...input.overcommit },
    strategy: input.strategy ?? d.strategy,
    weights: { ...d.weights, ...input.weights },
    unknownLoad: input.unknownLoad ?? d.unknownLoad,
  };
  for (const [k, v] of Object.entries(config.overcommit)) if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`overcommit.${k} must be above 0, not ${v}`);
  for (const [k, v] of Object.entries(config.weights)) if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`weights.${k} must be 0 or more, not ${v}`);
  if (!(config.unknownLoad >= 0 && config.unknownLoad <= 1)) throw new RangeError(`unknownLoad must be within 0..1, not ${config.unknownLoad}`);
  return config;
}
