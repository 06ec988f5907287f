// Waiting for things that happen on their own time: a line in a console log, a guest's shell
// and its DHCP address.
import { existsSync, readFileSync } from 'node:fs';
import { addressCommand } from './guest-measurements.mjs';

/** Resolves once `text` is in the file at `path` (polled: the guests write slowly). */
export async function fileContains(path, text, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path) && readFileSync(path, 'utf8').includes(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${text} in ${path}`);
}

/** Polls `fn` until it returns something other than undefined; its errors count as "not yet". */
export async function until(what, fn, timeoutMs, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/**
 * Resolves once guest `name` has booted (its ready line in `consoleLog`), its shell answers on
 * `shell` (which then stops echoing input), and eth0 has address `ip` (the guest asks DHCP
 * for it at boot).
 */
export async function guestReady(name, consoleLog, shell, ip) {
  await fileContains(consoleLog, 'HERD-GUEST-READY', 180_000);
  await until(`${name}'s shell`, async () => ((await shell.run('true', 20_000)) === '' ? true : undefined), 60_000);
  await shell.quietEcho();
  await until(`${name}'s address ${ip}`, async () => ((await shell.run(addressCommand('eth0'))) === ip ? true : undefined), 90_000, 1000);
}
