/**
 * Pure parsers for the /proc files the sampler reads. Each takes the file's text and returns the
 * decoded numbers, or undefined when the text is not what the kernel writes (a file caught
 * mid-exit reads empty): nothing past these functions sees raw /proc text. Unit-tested with
 * captured texts.
 */

/** CPU time of a process or thread from /proc/PID/stat or /proc/PID/task/TID/stat. */
export interface ProcCpuTimes {
  /** The command (thread name for a task), e.g. `CPU 0/TCG`. */
  readonly comm: string;
  /** utime + stime, in clock ticks (USER_HZ). */
  readonly ticks: number;
  /** Start time in clock ticks after boot: with the pid, it identifies one process instance. */
  readonly startTime: number;
  /** Resident set size in pages (field 24). */
  readonly rssPages: number;
}

/**
 * Decodes /proc/PID/stat (or a task's stat): the name and utime+stime. `comm` may contain spaces
 * and parentheses, so the fixed fields are counted after the *last* `)`.
 */
export function parseProcCpuTimes(text: string): ProcCpuTimes | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After comm, index 0 is field 3 (state): utime is field 14, stime 15, starttime 22, rss 24.
  const rest = text.slice(close + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const startTime = Number(rest[19]);
  const rssPages = Number(rest[21]);
  if (!isCount(utime) || !isCount(stime) || !isCount(startTime) || !isCount(rssPages)) return undefined;
  return { comm: text.slice(open + 1, close), ticks: utime + stime, startTime, rssPages };
}

/** Resident set size in bytes from /proc/PID/status (`VmRSS: 1234 kB`); undefined for a zombie. */
export function parseStatusRss(text: string): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Aggregate CPU time of the host from the first line of /proc/stat, in clock ticks. */
export interface HostCpuTimes {
  /** Time not idle (and not waiting for I/O). */
  readonly busy: number;
  /** All time, idle included. */
  readonly total: number;
}

/**
 * Decodes the `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal guest
 * guest_nice. guest and guest_nice are already counted in user and nice, so they are left out
 * of the total; idle and iowait are the idle time.
 */
export function parseHostCpu(text: string): HostCpuTimes | undefined {
  const m = /^cpu +([\d ]+)$/m.exec(text);
  if (!m) return undefined;
  const f = m[1]!.trim().split(/ +/).map(Number);
  if (f.length < 4 || !f.every(isCount)) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const idleAll = idle + iowait;
  const total = user + nice + system + idleAll + irq + softirq + steal;
  return { busy: total - idleAll, total };
}

/** Host memory from /proc/meminfo, in bytes. */
export interface HostMemory {
  readonly totalBytes: number;
  /** MemAvailable: what can be given to new work without swapping. */
  readonly availableBytes: number;
}

/** Decodes MemTotal and MemAvailable from /proc/meminfo. */
export function parseMeminfo(text: string): HostMemory | undefined {
  const total = /^MemTotal:\s+(\d+) kB$/m.exec(text);
  const available = /^MemAvailable:\s+(\d+) kB$/m.exec(text);
  if (!total || !available) return undefined;
  return { totalBytes: Number(total[1]) * 1024, availableBytes: Number(available[1]) * 1024 };
}

/** Decodes the 1, 5 and 15 minute load averages from /proc/loadavg. */
export function parseLoadavg(text: string): readonly [number, number, number] | undefined {
  const m = /^(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) /.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/**
 * The vCPU index of a QEMU thread from its name, which QEMU sets with `-name ...,debug-threads=on`:
 * `CPU 0/KVM`, `CPU 1/TCG` (and `CPU n/HVF`, `CPU n/WHPX` elsewhere); undefined for other threads.
 */
export function vcpuIndexOf(comm: string): number | undefined {
  const m = /^CPU (\d+)\/[A-Z]+$/.exec(comm);
  return m ? Number(m[1]) : undefined;
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
