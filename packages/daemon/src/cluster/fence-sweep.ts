/**
 * Kills every QEMU of this host's data directory: what fencing means. Each VM's run directory
 * (named by its id) holds its pidfile; a pid is killed only when /proc confirms it is the QEMU of
 * that VM, since pids are reused.
 */
import { readdirSync } from 'node:fs';
import { killQemuOf, readPidfile } from '../host/proc.js';
import { pidfilePath } from '../qemu/launch-spec.js';
import { join } from 'node:path';

/**
 * SIGKILLs the QEMU of every VM under `runRoot` (only those in `only`, when given); returns the
 * VM ids whose QEMU it killed.
 */
export function killAllQemus(runRoot: string, only?: ReadonlySet<string>): string[] {
  let ids: string[];
  try {
    ids = readdirSync(runRoot);
  } catch {
    return [];
  }
  const killed: string[] = [];
  for (const id of ids) {
    if (only && !only.has(id)) continue;
    try {
      if (killQemuOf(readPidfile(pidfilePath(join(runRoot, id))), id)) killed.push(id);
    } catch {
      // not a VM's directory, or the QEMU exited meanwhile
    }
  }
  return killed;
}
