/**
 * Keeps this host's part of the vxlan networks current while the cluster changes under it:
 * hosts join, go offline and come back, and networks are made and deleted through other hosts,
 * none of which wakes this host's network queue. Every few seconds it asks for a pass over each
 * vxlan network (which makes one that is new here and brings its flood list to the hosts online
 * now) and removes what is left of vxlan networks deleted elsewhere. Level-based: a tick that
 * fails or is missed leaves nothing the next one does not catch up with.
 */
import type { Logger } from 'pino';
import type { NetworkRepo } from './network-repo.js';

/** What the refresh needs. */
export interface OverlayRefreshDeps {
  readonly networks: Pick<NetworkRepo, 'list'>;
  /** Asks for a pass over network `id` (the network queue's `add`: it never runs twice at once). */
  readonly wake: (id: string) => void;
  /** Removes the leftovers of vxlan networks whose record is gone (NetworkReconciler.sweepOverlays). */
  readonly sweep: () => Promise<unknown>;
  readonly intervalMs: number;
  readonly log: Logger;
}

/** Default time between refreshes: how long a new or departed host may go unnoticed. */
export const OVERLAY_REFRESH_MS = 10_000;

/** Starts refreshing every `intervalMs`; `stop()` ends it (a tick under way finishes). Call once the network queue runs. */
export function startOverlayRefresh(d: OverlayRefreshDeps): { stop(): void } {
  let busy = false;
  const tick = async () => {
    // A slow sweep (the database, nft) must not pile up ticks behind it.
    if (busy) return;
    busy = true;
    try {
      for (const n of await d.networks.list()) if (n.type === 'vxlan' && !n.deleting) d.wake(n.id);
      await d.sweep();
    } catch (e) {
      d.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'vxlan network refresh failed; will try again');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), d.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
