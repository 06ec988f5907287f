import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { processState } from '../host/proc.js';
import { DataPaths } from '../paths.js';
import { FenceGuard, fenceFiles } from './fence-guard.js';
import { monotonicMs, readFenceDeadline } from './fence-deadline.js';

const dir = mkdtempSync('/tmp/herd-fence-');
const paths = new DataPaths(dir);
mkdirSync(paths.runRoot, { recursive: true });
mkdirSync(paths.logRoot, { recursive: true });
const children: ChildProcess[] = [];
// The guard runs as its own node process, from the build.
const main = join(import.meta.dirname, '..', '..', 'dist', 'cluster', 'fence-guard-main.js');

/** A real QEMU that does nothing (no machine), registered under a VM run directory like herd's. */
function fakeVm(): { id: string; pid: number } {
  const id = randomUUID();
  const child = spawn('qemu-system-x86_64', ['-uuid', id, '-machine', 'none', '-nodefaults', '-display', 'none', '-S'], { stdio: 'ignore' });
  children.push(child);
  mkdirSync(join(paths.runRoot, id));
  writeFileSync(join(paths.runRoot, id, 'qemu.pid'), `${child.pid}\n`);
  return { id, pid: child.pid! };
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('fence guard', () => {
  it('kills the host’s QEMUs once the deadline passes, spares them while it moves, and exits when disarmed', async () => {
    const guard = new FenceGuard(paths, pino({ level: 'silent' }), main);
    const a = fakeVm();
    const bystander = fakeVm();
    await guard.start(monotonicMs() + 1500, [a.id]);
    // A file that is not a VM's directory does not trip the sweep.
    writeFileSync(join(paths.runRoot, 'stray'), 'x');
    await new Promise((r) => setTimeout(r, 800));
    expect(processState(a.pid)).toBe('alive');
    // Kept alive by renewals…
    guard.extend(monotonicMs() + 1500, [a.id]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(processState(a.pid)).toBe('alive');
    // …and killed when they stop.
    expect(await until(() => processState(a.pid) !== 'alive', 3000)).toBe(true);
    // Only the listed (HA) VMs are fenced: the others stay with their host.
    expect(processState(bystander.pid)).toBe('alive');

    // A second guard object (a restarted daemon) finds the running guard instead of starting another.
    const again = new FenceGuard(paths, pino({ level: 'silent' }), main);
    await again.start(monotonicMs() + 60_000, []);
    const b = fakeVm();
    await new Promise((r) => setTimeout(r, 600));
    expect(processState(b.pid)).toBe('alive');
    expect(readFenceDeadline(fenceFiles(paths).deadline)).toBeGreaterThan(monotonicMs());

    again.disarm();
    const guardPid = Number((await import('node:fs')).readFileSync(fenceFiles(paths).pidfile, 'utf8'));
    expect(await until(() => processState(guardPid) !== 'alive', 2000)).toBe(true);
    expect(processState(b.pid)).toBe('alive');
  });
});
