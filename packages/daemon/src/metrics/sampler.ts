/**
 * The sampler: every interval, one round reads what each running VM and the host use, turns
 * cumulative counters into rates and percentages against the previous round, writes the
 * samples to the store in one batch, and keeps the latest values for `/metrics` and `herd top`.
 *
 * A round is cheap: per VM a handful of synchronous /proc reads (the process, its threads, its
 * status) and one QMP `query-blockstats`, issued to all VMs at once. Rounds never overlap; a
 * slow round delays the next. The first reading of a VM gives no rates yet (they need two).
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { BlockStats } from '../qemu/qmp-block-stats.js';
import { cpuPercent, hostCpuPercent, ratePerSecond } from './cpu-math.js';
import { HOST_TARGET, vcpuTarget, type MetricName } from './metric-names.js';
import type { MetricsStore, Sample } from './metric-types.js';
import type { HostCpuTimes } from './proc-parse.js';
import { readFsUsage, readHostCpu, readHostMemory, readLoadavg, readNetCounters, readProcess, type ThreadKinds } from './proc-readers.js';
import type { HostLatest, LatestSnapshot, VmLatest } from './latest.js';

/** A VM the sampler should read: one whose QEMU runs on this host. */
export interface SampledVm {
  readonly id: string;
  readonly name: string;
  readonly pid: number;
  readonly state: 'running' | 'paused';
  /** Its host-side network interfaces (taps); none until VMs have networks. */
  readonly taps: readonly string[];
}

/** Where the sampler learns which VMs run and asks QEMU for disk counters. */
export interface SamplerSource {
  runningVms(): Promise<readonly SampledVm[]>;
  /** The VM's block counters, or undefined when its QMP connection is not available. */
  blockStats(vmId: string): Promise<BlockStats | undefined>;
}

/** Options of {@link Sampler}. */
export interface SamplerOptions {
  readonly intervalMs: number;
  /** Pools to report usage of: name and a path on its file system. */
  readonly pools: readonly { readonly name: string; readonly path: string }[];
  readonly log: Logger;
}

/** Counters of the sampler itself, for the benchmark and `/metrics`. */
export interface SamplerStats {
  readonly rounds: number;
  /** VM readings taken (a VM in a round counts once). */
  readonly vmSamples: number;
  /**
   * CPU time (user + system) the daemon spent in rounds, in microseconds: from the start of a
   * round to the end of its write, so it also holds whatever else ran meanwhile (the QMP replies,
   * the write's listeners: alert rules, anomaly detection).
   */
  readonly cpuMicros: number;
  /** Of that, the synchronous part: /proc and /sys reads and the rate arithmetic, exactly. */
  readonly readCpuMicros: number;
  /** Wall time of the last round, in milliseconds. */
  readonly lastRoundMs: number;
}

interface VmPrev {
  readonly at: number;
  readonly threads: ThreadKinds;
  readonly startTime: number;
  readonly ticks: number;
  readonly vcpus: ReadonlyMap<number, number>;
  readonly disk: DiskTotals | undefined;
  readonly net: { rx: number; tx: number } | undefined;
}

interface DiskTotals {
  readonly rdBytes: number;
  readonly wrBytes: number;
  readonly rdOps: number;
  readonly wrOps: number;
}

/** Samples VMs and the host on a timer. Create once; {@link start}, later {@link stop}. */
export class Sampler {
  readonly #source: SamplerSource;
  readonly #store: MetricsStore;
  readonly #options: SamplerOptions;
  readonly #prev = new Map<string, VmPrev>();
  #hostPrev: HostCpuTimes | undefined;
  #latest: LatestSnapshot = { time: 0, intervalMs: 0, host: undefined, vms: new Map() };
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #stopped = false;
  #stats = { rounds: 0, vmSamples: 0, cpuMicros: 0, readCpuMicros: 0, lastRoundMs: 0 };

  constructor(source: SamplerSource, store: MetricsStore, options: SamplerOptions) {
    this.#source = source;
    this.#store = store;
    this.#options = options;
  }

  /** Starts sampling: a first round now, then one every interval. Call once. */
  start(): void {
    this.#schedule(0);
  }

  /** Stops the timer and waits for a round in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
  }

  /** The values of the last round. */
  latest(): LatestSnapshot {
    return this.#latest;
  }

  /** The sampler's own cost so far. */
  stats(): SamplerStats {
    return { ...this.#stats };
  }

  /** Runs one round now and returns what it wrote (tests; the timer uses it too). */
  async sampleOnce(): Promise<readonly Sample[]> {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const time = Date.now();
    const vms = await this.#source.runningVms();
    const blocks = await Promise.all(vms.map((v) => this.#source.blockStats(v.id).catch(() => undefined)));
    const samples: Sample[] = [];
    const add = (metric: MetricName, target: string, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) samples.push({ metric, target, time, value });
    };
    const latestVms = new Map<string, VmLatest>();
    const read0 = process.cpuUsage();
    vms.forEach((vm, i) => {
      const v = this.#sampleVm(vm, blocks[i], add);
      if (v) latestVms.set(vm.id, v);
    });
    for (const id of this.#prev.keys()) if (!latestVms.has(id)) this.#prev.delete(id);
    const host = this.#sampleHost(vms.length, add);
    const read = process.cpuUsage(read0);
    await this.#store.write(samples);
    this.#latest = { time, intervalMs: this.#options.intervalMs, host, vms: latestVms };
    const cpu = process.cpuUsage(cpu0);
    this.#stats.rounds++;
    this.#stats.vmSamples += latestVms.size;
    this.#stats.cpuMicros += cpu.user + cpu.system;
    this.#stats.readCpuMicros += read.user + read.system;
    this.#stats.lastRoundMs = performance.now() - t0;
    return samples;
  }

  #sampleVm(vm: SampledVm, block: BlockStats | undefined, add: (m: MetricName, t: string, v: number | undefined) => void): VmLatest | undefined {
    const at = performance.now();
    const prevRaw = this.#prev.get(vm.id);
    const threads: ThreadKinds = prevRaw?.threads ?? new Map();
    const p = readProcess(vm.pid, threads);
    if (!p) return undefined;
    // A different start time means a different QEMU (restart, pid reuse): start over.
    const prev = prevRaw?.startTime === p.startTime ? prevRaw : undefined;
    if (prevRaw && !prev) {
      // Another QEMU (restarted, or the pid reused): forget the old one, threads included.
      this.#prev.delete(vm.id);
      return this.#sampleVm(vm, block, add);
    }
    const elapsed = prev ? at - prev.at : 0;
    const cpu = prev ? cpuPercent(prev.ticks, p.ticks, elapsed) : undefined;
    add('vm_cpu_percent', vm.id, cpu);
    const vcpus: { index: number; percent: number | undefined }[] = [];
    for (const t of p.vcpus) {
      const before = prev?.vcpus.get(t.tid);
      const percent = before === undefined ? undefined : cpuPercent(before, t.ticks, elapsed);
      vcpus.push({ index: t.index, percent });
      add('vm_vcpu_cpu_percent', vcpuTarget(vm.id, t.index), percent);
    }
    add('vm_memory_rss_bytes', vm.id, p.rssBytes);

    const disk = block ? sumDisk(block) : undefined;
    const diskRate = (k: keyof DiskTotals) => (disk && prev?.disk ? ratePerSecond(prev.disk[k], disk[k], elapsed) : undefined);
    const diskRates = { rdBytes: diskRate('rdBytes'), wrBytes: diskRate('wrBytes'), rdOps: diskRate('rdOps'), wrOps: diskRate('wrOps') };
    add('vm_disk_read_bytes_per_second', vm.id, diskRates.rdBytes);
    add('vm_disk_write_bytes_per_second', vm.id, diskRates.wrBytes);
    add('vm_disk_read_ops_per_second', vm.id, diskRates.rdOps);
    add('vm_disk_write_ops_per_second', vm.id, diskRates.wrOps);

    let net: { rx: number; tx: number } | undefined;
    for (const tap of vm.taps) {
      const c = readNetCounters(tap);
      if (c) net = { rx: (net?.rx ?? 0) + c.rxBytes, tx: (net?.tx ?? 0) + c.txBytes };
    }
    const netRx = net && prev?.net ? ratePerSecond(prev.net.rx, net.rx, elapsed) : undefined;
    const netTx = net && prev?.net ? ratePerSecond(prev.net.tx, net.tx, elapsed) : undefined;
    add('vm_net_rx_bytes_per_second', vm.id, netRx);
    add('vm_net_tx_bytes_per_second', vm.id, netTx);

    this.#prev.set(vm.id, { at, threads, startTime: p.startTime, ticks: p.ticks, vcpus: new Map(p.vcpus.map((t) => [t.tid, t.ticks])), disk, net });
    return {
      id: vm.id,
      name: vm.name,
      state: vm.state,
      cpuPercent: cpu,
      cpuSecondsTotal: p.ticks / 100,
      vcpus,
      memoryRssBytes: p.rssBytes,
      disk: disk && { ...disk, rdBytesPerSecond: diskRates.rdBytes, wrBytesPerSecond: diskRates.wrBytes, rdOpsPerSecond: diskRates.rdOps, wrOpsPerSecond: diskRates.wrOps },
      net: net && { rxBytes: net.rx, txBytes: net.tx, rxBytesPerSecond: netRx, txBytesPerSecond: netTx },
    };
  }

  #sampleHost(vmsRunning: number, add: (m: MetricName, t: string, v: number | undefined) => void): HostLatest {
    const cpuNow = readHostCpu();
    const cpu = cpuNow && this.#hostPrev ? hostCpuPercent(this.#hostPrev, cpuNow) : undefined;
    if (cpuNow) this.#hostPrev = cpuNow;
    const mem = readHostMemory();
    const load = readLoadavg();
    add('host_cpu_percent', HOST_TARGET, cpu);
    add('host_memory_total_bytes', HOST_TARGET, mem?.totalBytes);
    add('host_memory_available_bytes', HOST_TARGET, mem?.availableBytes);
    add('host_memory_used_bytes', HOST_TARGET, mem && mem.totalBytes - mem.availableBytes);
    add('host_load1', HOST_TARGET, load?.[0]);
    add('host_load5', HOST_TARGET, load?.[1]);
    add('host_load15', HOST_TARGET, load?.[2]);
    add('host_vms_running', HOST_TARGET, vmsRunning);
    const pools: HostLatest['pools'][number][] = [];
    for (const pool of this.#options.pools) {
      const fs = readFsUsage(pool.path);
      if (!fs) continue;
      add('pool_used_bytes', pool.name, fs.usedBytes);
      add('pool_capacity_bytes', pool.name, fs.capacityBytes);
      add('pool_available_bytes', pool.name, fs.availableBytes);
      pools.push({ name: pool.name, ...fs });
    }
    return {
      cpuPercent: cpu,
      memoryTotalBytes: mem?.totalBytes,
      memoryAvailableBytes: mem?.availableBytes,
      load,
      vmsRunning,
      pools,
    };
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#round = this.sampleOnce()
        .then(() => undefined)
        .catch((e: unknown) => this.#options.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'metrics round failed'))
        .finally(() => {
          this.#round = undefined;
          this.#schedule(this.#options.intervalMs);
        });
    }, delayMs);
    this.#timer.unref();
  }
}

function sumDisk(stats: BlockStats): DiskTotals {
  let rdBytes = 0;
  let wrBytes = 0;
  let rdOps = 0;
  let wrOps = 0;
  for (const s of stats) {
    rdBytes += s.stats.rd_bytes;
    wrBytes += s.stats.wr_bytes;
    rdOps += s.stats.rd_operations;
    wrOps += s.stats.wr_operations;
  }
  return { rdBytes, wrBytes, rdOps, wrOps };
}
