/** How the scheduler's account of a placement looks: `herd vm explain-placement`. */
import type { HostVerdict, PlacementExplanation } from '@herd/api';
import { paint } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';

const columns: readonly Column[] = [{ header: 'HOST', shrink: true }, { header: 'FITS' }, { header: 'SCORE', align: 'right' }, { header: 'WHY', shrink: true }];

/** A score to two decimals (scores are sums of weights, 0..a few). */
const figure = (n: number): string => n.toFixed(2);

/**
 * Why a host is where it is in the list: every filter that refused it, or for a host that fits,
 * its weighers' shares of the score, largest first.
 */
export function verdictWhy(h: HostVerdict): string {
  if (!h.fits) return h.rejections.map((r) => `${r.filter}: ${r.reason}`).join('; ');
  const shares = Object.entries(h.weights).sort(([, a], [, b]) => b - a);
  return shares.length ? shares.map(([name, v]) => `${name} ${figure(v)}`).join(', ') : '-';
}

/**
 * A line saying where the VM is and where it would go, then one row per host in the
 * scheduler's order; the chosen host is marked `*`.
 */
export function placementTable(e: PlacementExplanation, color: boolean, width?: number): string {
  const headline = e.chosen === null ? `vm '${e.vm}' is on ${e.host}; placed now, it would fit no host\n` : `vm '${e.vm}' is on ${e.host}; placed now, it would go to ${e.chosen} (*)\n`;
  const rows = e.hosts.map((h) => [
    h.name === e.chosen ? `${h.name} *` : h.name,
    h.fits ? paint('yes', 'green', color) : paint('no', 'red', color),
    h.score === null ? '-' : figure(h.score),
    verdictWhy(h),
  ]);
  return headline + (rows.length ? renderTable(columns, rows, { maxWidth: width }) : 'no hosts are registered\n');
}
