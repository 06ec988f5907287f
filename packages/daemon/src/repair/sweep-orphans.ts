/**
 * Start-up repair: removes what a crash may have left behind for VMs that no longer exist:
 * a QEMU still running, runtime directories, console logs. Files are named by VM id, so
 * anything whose id has no VM record is an orphan. (Disks are volumes; VolumeService.sweepOrphans
 * removes those no volume record names.)
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { killQemuOf, readPidfile } from '../host/proc.js';
import type { DataPaths } from '../paths.js';
import { pidfilePath } from '../qemu/launch-spec.js';

const idRe = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;

/** Removes leftovers of VMs not in `knownIds`; returns what it removed, for the log. */
export async function sweepOrphans(paths: DataPaths, knownIds: ReadonlySet<string>, log: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const [dir, isRunDir] of [
    [paths.runRoot, true],
    [paths.logRoot, false],
  ] as const) {
    if (!existsSync(dir)) continue;
    for (const entry of await readdir(dir)) {
      const id = idRe.exec(entry)?.[1];
      if (!id || knownIds.has(id)) continue;
      const path = join(dir, entry);
      if (isRunDir) {
        const pid = readPidfile(pidfilePath(path));
        if (killQemuOf(pid, id)) removed.push(`QEMU pid ${pid}`);
      }
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  if (removed.length) log.warn({ removed }, 'removed leftovers of deleted VMs');
  return removed;
}
