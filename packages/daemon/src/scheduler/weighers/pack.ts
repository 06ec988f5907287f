import type { Weigher } from '../weigher.js';
import { freeFraction } from './free-fraction.js';

/**
 * Pack: scores the claimed share of the host's scarcest resource (1 − spread's score), so the
 * fullest host that still fits wins and hosts fill one after another, leaving the others empty.
 */
export const packWeigher: Weigher = {
  name: 'pack',
  weight: (config) => config.weights.resources,
  score: (host, _vm, ctx) => 1 - freeFraction(host, ctx.config),
  ceiling: (host, ctx) => 1 - freeFraction(host, ctx.config),
};
