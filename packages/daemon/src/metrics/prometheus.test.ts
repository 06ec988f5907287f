import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LatestSnapshot } from './latest.js';
import { prometheusRegistry } from './prometheus.js';

const snapshot: LatestSnapshot = {
  time: 1,
  intervalMs: 10_000,
  host: { cpuPercent: 12.5, memoryTotalBytes: 1000, memoryAvailableBytes: 400, load: [0.1, 0.2, 0.3], vmsRunning: 1, pools: [{ name: 'default', capacityBytes: 100, usedBytes: 60, availableBytes: 40 }] },
  vms: new Map([
    [
      'id-1',
      {
        id: 'id-1',
        name: 'web',
        state: 'running',
        cpuPercent: 99.5,
        cpuSecondsTotal: 12.34,
        vcpus: [{ index: 0, percent: 98 }],
        memoryRssBytes: 1234,
        disk: { rdBytes: 10, wrBytes: 20, rdOps: 1, wrOps: 2, rdBytesPerSecond: 5, wrBytesPerSecond: 6, rdOpsPerSecond: 0, wrOpsPerSecond: 0 },
        net: undefined,
      },
    ],
  ]),
};
const stats = () => ({ rounds: 3, vmSamples: 3, cpuMicros: 1500, readCpuMicros: 500, lastRoundMs: 2 });

describe('the Prometheus exposition', () => {
  it('shows the latest values with vm and id labels, counters as counters', async () => {
    const text = await prometheusRegistry(() => snapshot, stats).metrics();
    expect(text).toContain('herd_vm_cpu_percent{vm="web",id="id-1"} 99.5');
    expect(text).toContain('# TYPE herd_vm_cpu_seconds_total counter');
    expect(text).toContain('herd_vm_cpu_seconds_total{vm="web",id="id-1"} 12.34');
    expect(text).toContain('herd_vm_vcpu_cpu_percent{vm="web",id="id-1",vcpu="0"} 98');
    expect(text).toContain('herd_vm_info{vm="web",id="id-1",state="running"} 1');
    expect(text).toContain('herd_host_memory_used_bytes 600');
    expect(text).toContain('herd_pool_used_bytes{pool="default"} 60');
    expect(text).toContain('herd_sampler_cpu_seconds_total 0.0015');
    // No network yet: no series rather than zeros.
    expect(text).not.toMatch(/^herd_vm_network_receive_bytes_total\{/m);
  });

  it('drops VMs that are no longer sampled', async () => {
    let snap = snapshot;
    const registry = prometheusRegistry(() => snap, stats);
    expect(await registry.metrics()).toContain('vm="web"');
    snap = { ...snapshot, vms: new Map() };
    expect(await registry.metrics()).not.toContain('vm="web"');
  });

  it('the Grafana dashboard uses only series the exposition has', async () => {
    const names = new Set((await prometheusRegistry(() => snapshot, stats).getMetricsAsJSON()).map((m) => m.name));
    const dashboard = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'grafana-dashboard.json'), 'utf8');
    const used = new Set(dashboard.match(/herd_[a-z0-9_]+/g));
    expect(used.size).toBeGreaterThan(10);
    for (const n of used) expect(names, n).toContain(n);
  });
});
