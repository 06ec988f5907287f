import type { Weigher } from '../weigher.js';
import { freeFraction } from './free-fraction.js';

/**
 * Spread (the default): scores the unclaimed share of the host's scarcest resource (vCPUs,
 * memory or disk), so the emptiest host that fits wins. It reads the host only (as Nova's RAM
 * and CPU weighers do, though as a share rather than MiB), so hosts keep their rank from one VM
 * to the next and a ClaimLedger can stop at the first that fits.
 */
export const spreadWeigher: Weigher = {
  name: 'spread',
  weight: (config) => config.weights.resources,
  score: (host, _vm, ctx) => freeFraction(host, ctx.config),
  ceiling: (host, ctx) => freeFraction(host, ctx.config),
};
