/**
 * What the restart policy says when a VM's QEMU has ended. Pure, so the rules are in one place
 * and tested on their own.
 */
import type { VmRow } from '../store/schema.js';

/** First delay before a restart by the policy; doubled for each restart in the window. */
export const restartBackoffBaseMs = 1_000;
/** Longest delay before a restart. */
export const restartBackoffMaxMs = 60_000;

/** The decision after an exit. */
export type RestartDecision =
  | { readonly kind: 'stay-stopped' }
  | { readonly kind: 'restart'; readonly delayMs: number; readonly attempt: number }
  | { readonly kind: 'give-up'; readonly restarts: number };

/**
 * Decides whether a VM whose QEMU ended should be started again. `unexpected` is true for a
 * crash, a kill, a panic, a watchdog or a failed health check; false for a guest power-off or
 * a stop herd was asked for. `recent` holds the times of restarts by the policy still inside
 * the VM's window.
 */
export function decideRestart(
  row: Pick<VmRow, 'restart_policy' | 'restart_max' | 'desired_state' | 'deleting' | 'restart_generation' | 'boot_generation'>,
  unexpected: boolean,
  recent: readonly number[],
): RestartDecision {
  if (row.deleting || row.desired_state === 'stopped' || row.restart_generation > row.boot_generation) return { kind: 'stay-stopped' };
  const applies = row.restart_policy === 'always' || (row.restart_policy === 'on-failure' && unexpected);
  if (!applies) return { kind: 'stay-stopped' };
  if (recent.length >= row.restart_max) return { kind: 'give-up', restarts: recent.length };
  const delayMs = Math.min(restartBackoffMaxMs, restartBackoffBaseMs * 2 ** recent.length);
  return { kind: 'restart', delayMs, attempt: recent.length + 1 };
}
