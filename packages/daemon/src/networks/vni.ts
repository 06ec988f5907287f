/**
 * VXLAN network identifiers of vxlan networks. Pure: choosing one given those taken. The
 * database's unique index on networks.vni is what makes a choice stick when two creations race.
 */
import { MAX_VNI } from '../net/vxlan.js';

/**
 * First VNI herd picks by itself: above the VLAN ids (1-4094), so that a VNI herd chose never
 * equals one an operator mapped from a VLAN of the same number on a shared underlay.
 */
export const FIRST_AUTO_VNI = 4096;

/**
 * The VNI for a new vxlan network: `wanted` if no network has it, else the lowest free one from
 * {@link FIRST_AUTO_VNI}. Returns why not instead when that is impossible.
 */
export function chooseVni(taken: ReadonlySet<number>, wanted?: number): { vni: number } | { problem: 'taken' | 'exhausted' } {
  if (wanted !== undefined) return taken.has(wanted) ? { problem: 'taken' } : { vni: wanted };
  for (let vni = FIRST_AUTO_VNI; vni <= MAX_VNI; vni++) if (!taken.has(vni)) return { vni };
  return { problem: 'exhausted' };
}
