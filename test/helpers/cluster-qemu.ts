/** Finds the QEMU processes of a test cluster, and on which host each one runs. */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/** A QEMU process: its pid, the VM it runs (its `-uuid`, herd's VM id) and the host it runs on. */
export interface QemuProcess {
  readonly pid: number;
  readonly vmId: string;
  readonly host: string;
}

/**
 * Every live QEMU (`qemu-system-*`) whose network namespace is one of `hosts`, by pid. The host
 * is told by the namespace (the inode /proc/PID/ns/net names), not by anything QEMU says.
 */
export function qemuProcessesOn(hosts: readonly { name: string; netnsInode: number }[]): QemuProcess[] {
  const byInode = new Map(hosts.map((h) => [h.netnsInode, h.name]));
  const found: QemuProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const inode = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/ns/net`))?.[1];
      const host = inode === undefined ? undefined : byInode.get(Number(inode));
      if (host === undefined) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!basename(argv[0] ?? '').startsWith('qemu-system')) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const uuid = argv.indexOf('-uuid');
      found.push({ pid: Number(entry), vmId: uuid >= 0 ? (argv[uuid + 1] ?? '') : '', host });
    } catch {
      // gone, or a kernel thread
    }
  }
  return found.sort((a, b) => a.pid - b.pid);
}
