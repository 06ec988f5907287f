/** Facts about this host, gathered once at daemon start. */
import { cpus, hostname, release, totalmem } from 'node:os';
import { run } from './exec.js';

/** What this host is and offers. */
export interface HostFacts {
  readonly name: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly qemuVersion: string;
}

/** Reads this host's facts (runs `qemu-system-x86_64 --version`). */
export async function readHostFacts(qemuBinary: string): Promise<HostFacts> {
  const r = await run(qemuBinary, ['--version'], { allowFailure: true, timeoutMs: 10_000 });
  const m = /version\s+(\S+)/.exec(r.stdout);
  return {
    name: hostname(),
    cpus: cpus().length,
    memoryBytes: totalmem(),
    kernel: release(),
    qemuVersion: m?.[1] ?? (r.code === 0 ? 'unknown' : `not usable: ${r.stderr.trim() || 'not found'}`),
  };
}
