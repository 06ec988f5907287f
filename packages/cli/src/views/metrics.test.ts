import type { MetricsLatest } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { formatMetricValue, topHeader, topTable } from './metrics.js';

const latest: MetricsLatest = {
  time: '2026-11-26T07:00:00.123Z',
  intervalSeconds: 10,
  host: { name: 'box', cpus: 2, cpuPercent: 37.5, memoryUsedBytes: 2 * 1024 ** 3, memoryTotalBytes: 24 * 1024 ** 3, load: [0.5, 1, 1.25], vmsRunning: 2 },
  pools: [{ name: 'default', usedBytes: 10 * 1024 ** 3, capacityBytes: 50 * 1024 ** 3, availableBytes: 40 * 1024 ** 3 }],
  vms: [
    { id: '1', name: 'idle', state: 'running', cpus: 1, memoryMiB: 128, cpuPercent: 1.25, vcpus: [{ index: 0, cpuPercent: 1 }], memoryRssBytes: 100 * 1024 ** 2, diskReadBytesPerSecond: 0, diskWriteBytesPerSecond: 2048, netRxBytesPerSecond: null, netTxBytesPerSecond: null },
    { id: '2', name: 'off', state: 'stopped', cpus: 1, memoryMiB: 128, cpuPercent: null, vcpus: [], memoryRssBytes: null, diskReadBytesPerSecond: null, diskWriteBytesPerSecond: null, netRxBytesPerSecond: null, netTxBytesPerSecond: null },
    { id: '3', name: 'busy', state: 'running', cpus: 2, memoryMiB: 256, cpuPercent: 99.5, vcpus: [{ index: 0, cpuPercent: 98 }, { index: 1, cpuPercent: 0.5 }], memoryRssBytes: 200 * 1024 ** 2, diskReadBytesPerSecond: 1024 ** 2, diskWriteBytesPerSecond: 0, netRxBytesPerSecond: null, netTxBytesPerSecond: null },
  ],
};

describe('the herd top view', () => {
  it('lists running VMs busiest first, then the others, with units', () => {
    expect(topTable(latest)).toBe(
      [
        'NAME   STATE     CPU%   VCPU%                  MEM        DISK-R/W',
        'busy   running   99.5   98.0 0.5   200 MiB/256 MiB   1 MiB/s 0 B/s',
        'idle   running    1.3   1.0        100 MiB/128 MiB   0 B/s 2 KiB/s',
        'off    stopped      -   -                        -               -',
        '',
      ].join('\n'),
    );
  });

  it('sums up the host above the table', () => {
    expect(topHeader(latest)).toBe('box  cpu 37.5% of 2  mem 2 GiB/24 GiB  load 0.50 1.00 1.25  vms 2 running  pool default 10 GiB/50 GiB  (2026-11-26T07:00:00Z, every 10s)\n');
  });

  it('formats values by the unit in the metric name', () => {
    expect(formatMetricValue('vm_cpu_percent', 12.345)).toBe('12.3%');
    expect(formatMetricValue('vm_memory_rss_bytes', 1536 * 1024)).toBe('1.5 MiB');
    expect(formatMetricValue('vm_disk_read_bytes_per_second', 2048)).toBe('2 KiB/s');
    expect(formatMetricValue('host_load1', 0.5)).toBe('0.50');
  });
});
