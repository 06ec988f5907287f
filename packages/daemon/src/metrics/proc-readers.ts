/**
 * Reads the /proc and /sys files the sampler needs, synchronously: a read of a /proc file is a
 * few microseconds and never blocks on a disk, and the synchronous path costs far less CPU than
 * libuv's thread pool round trip (the daemon runs without an optimizing JIT). Each function
 * returns undefined when the process, thread or interface has gone. Decoding is in proc-parse.ts.
 */
import { readFileSync, readdirSync, statfsSync } from 'node:fs';
import {
  parseHostCpu,
  parseLoadavg,
  parseMeminfo,
  parseProcCpuTimes,
  parseStatusRss,
  vcpuIndexOf,
  type HostCpuTimes,
  type HostMemory,
} from './proc-parse.js';

/** CPU time of one vCPU thread. */
export interface VcpuTicks {
  readonly index: number;
  readonly tid: number;
  readonly ticks: number;
}

/** What /proc says about a QEMU process at one moment. */
export interface ProcessReading {
  readonly ticks: number;
  readonly startTime: number;
  readonly rssBytes: number | undefined;
  readonly vcpus: readonly VcpuTicks[];
}

/**
 * What is known of a process's threads between readings: thread id → vCPU index, or null for
 * other threads (QEMU's main loop, RCU, I/O workers). QEMU names a thread when it creates it, so
 * each thread's stat is read once to learn its kind; after that only vCPU threads are read. The
 * caller keeps one per process and passes it back each time.
 */
export type ThreadKinds = Map<number, number | null>;

/**
 * Reads CPU time, RSS and per-vCPU thread times of `pid`; undefined if it has gone. Per round
 * this is /proc/PID/stat, the task directory and the stat of each vCPU thread (about 150 us for
 * a one-vCPU QEMU): RSS comes from the stat's rss field, not the much costlier status file.
 */
export function readProcess(pid: number, threads: ThreadKinds = new Map()): ProcessReading | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  const times = stat === undefined ? undefined : parseProcCpuTimes(stat);
  if (!times) return undefined;
  const vcpus: VcpuTicks[] = [];
  const seen = new Set<number>();
  for (const name of readDir(`/proc/${pid}/task`)) {
    const tid = Number(name);
    seen.add(tid);
    const kind = threads.get(tid);
    if (kind === null) continue;
    const t = readText(`/proc/${pid}/task/${tid}/stat`);
    const thread = t === undefined ? undefined : parseProcCpuTimes(t);
    if (!thread) continue;
    const index = kind ?? vcpuIndexOf(thread.comm) ?? null;
    threads.set(tid, index);
    if (index !== null) vcpus.push({ index, tid, ticks: thread.ticks });
  }
  for (const tid of threads.keys()) if (!seen.has(tid)) threads.delete(tid);
  vcpus.sort((a, b) => a.index - b.index);
  return { ticks: times.ticks, startTime: times.startTime, rssBytes: times.rssPages * pageSize(), vcpus };
}

let pageBytes: number | undefined;

/**
 * The page size, learnt once by comparing this process's RSS in pages (stat) with its RSS in
 * kB (status), rounded to a power of two; 4096 if that fails.
 */
function pageSize(): number {
  if (pageBytes !== undefined) return pageBytes;
  const pages = parseProcCpuTimes(readText('/proc/self/stat') ?? '')?.rssPages;
  const bytes = parseStatusRss(readText('/proc/self/status') ?? '');
  pageBytes = pages && bytes ? 2 ** Math.round(Math.log2(bytes / pages)) : 4096;
  if (pageBytes < 4096 || pageBytes > 65536) pageBytes = 4096;
  return pageBytes;
}

/** Host CPU counters from /proc/stat. */
export function readHostCpu(): HostCpuTimes | undefined {
  const t = readText('/proc/stat');
  return t === undefined ? undefined : parseHostCpu(t);
}

/** Host memory from /proc/meminfo. */
export function readHostMemory(): HostMemory | undefined {
  const t = readText('/proc/meminfo');
  return t === undefined ? undefined : parseMeminfo(t);
}

/** Load averages from /proc/loadavg. */
export function readLoadavg(): readonly [number, number, number] | undefined {
  const t = readText('/proc/loadavg');
  return t === undefined ? undefined : parseLoadavg(t);
}

/** Usage of the file system holding `path`, in bytes. */
export interface FsUsage {
  /** Used plus available: the pool is full when used reaches it. */
  readonly capacityBytes: number;
  readonly usedBytes: number;
  /** What an unprivileged writer can still use (excludes blocks reserved for root). */
  readonly availableBytes: number;
}

/** statfs(2) of the file system holding `path`; undefined if it cannot be read. */
export function readFsUsage(path: string): FsUsage | undefined {
  try {
    const s = statfsSync(path);
    const usedBytes = (s.blocks - s.bfree) * s.bsize;
    const availableBytes = s.bavail * s.bsize;
    // Capacity is what herd can fill: used plus available. (statfs's block count also holds
    // root's reserve and, on overlay or shared file systems, space others use.)
    return { capacityBytes: usedBytes + availableBytes, usedBytes, availableBytes };
  } catch {
    return undefined;
  }
}

/** Byte counters of a network interface (a VM's tap), from /sys/class/net/IF/statistics. */
export interface NetCounters {
  readonly rxBytes: number;
  readonly txBytes: number;
}

/** Reads the byte counters of interface `name`; undefined if it does not exist. */
export function readNetCounters(name: string): NetCounters | undefined {
  if (!/^[\w.-]{1,15}$/.test(name)) return undefined;
  const rx = readText(`/sys/class/net/${name}/statistics/rx_bytes`);
  const tx = readText(`/sys/class/net/${name}/statistics/tx_bytes`);
  if (rx === undefined || tx === undefined) return undefined;
  const rxBytes = Number(rx.trim());
  const txBytes = Number(tx.trim());
  return Number.isSafeInteger(rxBytes) && Number.isSafeInteger(txBytes) ? { rxBytes, txBytes } : undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    // ENOENT/ESRCH: the process, thread or interface went away between listing and reading.
    return undefined;
  }
}

function readDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
