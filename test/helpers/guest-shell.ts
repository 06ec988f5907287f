/**
 * Commands run in a tiny guest's serial shell through `herd vm console`, for tests that look
 * inside the guest.
 */
import { randomBytes } from 'node:crypto';
import type { DaemonProcess } from './daemon-process.js';
import { waitFor } from './wait.js';

/** The shell of the guests of `daemon`. */
export interface GuestShell {
  /** Runs `cmd` in `vm`'s shell and returns what it printed. */
  sh(vm: string, cmd: string, quietMs?: number): Promise<string>;
  /** Waits until `vm` has booted and its shell answers. */
  booted(vm: string): Promise<void>;
}

/** A shell onto the guests of `daemon`. */
export function guestShell(daemon: Pick<DaemonProcess, 'cli'>): GuestShell {
  const sh = async (vm: string, cmd: string, quietMs = 1200): Promise<string> => {
    // A random tag: the console replays recent output, which holds earlier commands' markers.
    const t = `M${randomBytes(6).toString('hex')}x`;
    // The markers are computed by the shell, so the echoed command line never matches them; the
    // session ends at the end marker, or after quietMs of silence if it never comes.
    const r = await daemon.cli(['vm', 'console', vm, '--quiet-ms', String(quietMs), '--until', `${t}-2`], `echo ${t}-$((1+0)); ${cmd}; echo ${t}-$((1+1))\n`);
    const m = new RegExp(`${t}-1\\r?\\n([\\s\\S]*?)${t}-2`).exec(r.stdout);
    if (!m) throw new Error(`no answer from ${vm} to '${cmd}': ${r.stdout.slice(-500)}`);
    return m[1]!.replace(/\r/g, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim();
  };
  const booted = async (vm: string): Promise<void> => {
    await waitFor(`${vm} to boot`, async () => ((await daemon.cli(['vm', 'console', vm, '--log'])).stdout.includes('HERD-GUEST-READY') ? true : undefined), 90_000, 300);
    // The shell prompt comes a moment after the readiness line.
    await waitFor(`${vm}'s shell`, async () => ((await sh(vm, 'true').catch(() => undefined)) === '' ? true : undefined), 30_000, 200);
  };
  return { sh, booted };
}
