/**
 * The sampler against the real /proc of this test process (standing in for a QEMU: its pid,
 * threads and RSS are real), with a store that keeps batches in memory and block counters from
 * a stub.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BlockStats } from '../qemu/qmp-block-stats.js';
import type { MetricsStore, Sample } from './metric-types.js';
import { readFsUsage, readNetCounters, readProcess } from './proc-readers.js';
import { Sampler, type SampledVm } from './sampler.js';

class MemoryStore implements MetricsStore {
  batches: Sample[][] = [];
  async write(samples: readonly Sample[]) {
    this.batches.push([...samples]);
  }
  async query() {
    return [];
  }
  async series() {
    return [];
  }
  onWrite() {
    return () => undefined;
  }
}

const blocks = (rd: number, wr: number): BlockStats => [
  { device: '', 'node-name': 'root', qdev: 'virtio0', stats: { rd_bytes: rd, wr_bytes: wr, rd_operations: rd / 512, wr_operations: wr / 512 } },
];

function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) Math.sqrt(Math.random());
}

describe('the sampler', () => {
  it('reads a real process: CPU percent from two readings, RSS, disk rates, host and pool', async () => {
    const store = new MemoryStore();
    const vm: SampledVm = { id: 'vm-1', name: 'alpha', pid: process.pid, state: 'running', taps: ['lo'] };
    let disk = blocks(0, 0);
    const sampler = new Sampler({ runningVms: async () => [vm], blockStats: async () => disk }, store, {
      intervalMs: 1000,
      pools: [{ name: 'default', path: '/' }],
      log: pino({ level: 'silent' }),
    });
    const first = await sampler.sampleOnce();
    const firstMetrics = new Set(first.map((s) => s.metric));
    // One reading gives levels, not rates.
    expect(firstMetrics.has('vm_memory_rss_bytes')).toBe(true);
    expect(firstMetrics.has('vm_cpu_percent')).toBe(false);
    expect(firstMetrics.has('pool_capacity_bytes')).toBe(true);

    burn(600);
    disk = blocks(1024 * 1024, 4096);
    const second = await sampler.sampleOnce();
    const get = (m: string, t = 'vm-1') => second.find((s) => s.metric === m && s.target === t)?.value;
    // The CI machine is shared (2 cores): busy-looping shows as well above idle, not as 100.
    expect(get('vm_cpu_percent')).toBeGreaterThan(25);
    expect(get('vm_memory_rss_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(get('vm_disk_read_bytes_per_second')).toBeGreaterThan(1024 * 1024);
    expect(get('vm_disk_write_ops_per_second')).toBeGreaterThan(0);
    expect(get('vm_net_rx_bytes_per_second')).toBeGreaterThanOrEqual(0);
    expect(get('host_cpu_percent', 'host')).toBeGreaterThan(0);
    expect(get('host_memory_used_bytes', 'host')).toBeGreaterThan(0);
    expect(get('host_vms_running', 'host')).toBe(1);
    expect(get('pool_used_bytes', 'default')).toBeLessThanOrEqual(get('pool_capacity_bytes', 'default')!);
    expect(new Set(second.map((s) => s.time)).size).toBe(1);

    const latest = sampler.latest().vms.get('vm-1')!;
    expect(latest.name).toBe('alpha');
    expect(latest.cpuPercent).toBe(get('vm_cpu_percent'));
    expect(sampler.stats()).toMatchObject({ rounds: 2, vmSamples: 2 });
    expect(store.batches).toHaveLength(2);
  });

  it('forgets VMs that stopped, and skips a pid that is gone', async () => {
    const store = new MemoryStore();
    let vms: SampledVm[] = [{ id: 'gone', name: 'gone', pid: 0x7ffffff0, state: 'running', taps: [] }];
    const sampler = new Sampler({ runningVms: async () => vms, blockStats: async () => undefined }, store, { intervalMs: 1000, pools: [], log: pino({ level: 'silent' }) });
    const out = await sampler.sampleOnce();
    expect(out.filter((s) => s.target === 'gone')).toEqual([]);
    vms = [];
    await sampler.sampleOnce();
    expect(sampler.latest().vms.size).toBe(0);
  });

  it('starts over when the VM has another QEMU (a restart, or the pid reused)', async () => {
    const store = new MemoryStore();
    let vm: SampledVm = { id: 'vm-1', name: 'alpha', pid: process.pid, state: 'running', taps: [] };
    const sampler = new Sampler({ runningVms: async () => [vm], blockStats: async () => undefined }, store, { intervalMs: 1000, pools: [], log: pino({ level: 'silent' }) });
    await sampler.sampleOnce();
    vm = { ...vm, pid: process.ppid };
    const out = await sampler.sampleOnce();
    expect(out.find((s) => s.metric === 'vm_cpu_percent')).toBeUndefined(); // no rate across two processes
    expect(out.find((s) => s.metric === 'vm_memory_rss_bytes')?.value).toBeGreaterThan(0);
    const third = await sampler.sampleOnce();
    expect(third.find((s) => s.metric === 'vm_cpu_percent')?.value).toBeGreaterThanOrEqual(0);
  });

  it('runs on its timer and stops', async () => {
    const store = new MemoryStore();
    const sampler = new Sampler({ runningVms: async () => [], blockStats: async () => undefined }, store, { intervalMs: 50, pools: [], log: pino({ level: 'silent' }) });
    sampler.start();
    await new Promise((r) => setTimeout(r, 180));
    await sampler.stop();
    const n = store.batches.length;
    expect(n).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 120));
    expect(store.batches.length).toBe(n);
  });
});

describe('the /proc and /sys readers', () => {
  it('read this process, the loopback counters and a file system', () => {
    const p = readProcess(process.pid)!;
    expect(p.ticks).toBeGreaterThan(0);
    expect(p.rssBytes).toBeGreaterThan(0);
    expect(p.vcpus).toEqual([]); // node has no QEMU vCPU threads
    expect(readProcess(0x7ffffff0)).toBeUndefined();
    expect(readNetCounters('lo')?.rxBytes).toBeGreaterThanOrEqual(0);
    expect(readNetCounters('no-such-if0')).toBeUndefined();
    expect(readNetCounters('../../etc')).toBeUndefined();
    expect(readFsUsage('/')!.capacityBytes).toBeGreaterThan(0);
  });
});
