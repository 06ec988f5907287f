import type { HostState } from '../types.js';
import type { Weigher } from '../weigher.js';

/** The share of the host's CPU left idle: by its latest metrics, else by the config's guess. */
function idle(host: HostState, unknownLoad: number): number {
  const busy = host.load?.cpu;
  return 1 - Math.min(1, Math.max(0, busy !== undefined && Number.isFinite(busy) ? busy : unknownLoad));
}

/**
 * Load: scores the share of the host's CPU left idle by its latest metrics. A host that has not
 * reported any counts as `unknownLoad` busy.
 */
export const loadWeigher: Weigher = {
  name: 'load',
  weight: (config) => config.weights.load,
  score: (host, _vm, ctx) => idle(host, ctx.config.unknownLoad),
  ceiling: (host, ctx) => idle(host, ctx.config.unknownLoad),
};
