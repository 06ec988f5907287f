/**
 * The fence deadline: the moment after which this host may no longer run its VMs, because the
 * leader may already be restarting them elsewhere. The daemon moves it forward with every lease
 * renewal; the fence guard (fence-guard-main.ts), a process of its own, kills the host's QEMUs
 * once it passes. Times are CLOCK_MONOTONIC milliseconds, which every process on the host shares
 * and which wall-clock changes do not move.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** Now on the host-wide monotonic clock, in milliseconds. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/** Writes `deadline` atomically (a reader never sees half a number). */
export function writeFenceDeadline(path: string, deadline: number): void {
  writeFileSync(`${path}.tmp`, `${Math.floor(deadline)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/**
 * The deadline in the file; `undefined` when there is none (the guard is disarmed) or the file
 * does not hold a number.
 */
export function readFenceDeadline(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const t = text.trim();
  return /^[0-9]{1,16}$/.test(t) ? Number(t) : undefined;
}

/** Disarms the guard: with no deadline it kills nothing and exits. */
export function removeFenceDeadline(path: string): void {
  rmSync(path, { force: true });
}

/**
 * Writes the VMs the guard must stop when it fences: the HA VMs of this host, which the leader
 * restarts elsewhere once the lease is out. Other VMs stay with the host (nothing else runs
 * them), so a daemon down for longer than its lease does not take them down.
 */
export function writeFencedVms(path: string, vmIds: readonly string[]): void {
  writeFileSync(`${path}.tmp`, vmIds.map((id) => `${id}\n`).join(''), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** The VM ids in the list; undefined when there is no list (then the guard stops every VM). */
export function readFencedVms(path: string): Set<string> | undefined {
  try {
    return new Set(readFileSync(path, 'utf8').split('\n').filter((l) => /^[0-9a-f-]{36}$/.test(l)));
  } catch {
    return undefined;
  }
}
