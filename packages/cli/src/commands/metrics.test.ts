import type { MetricSeries, MetricsLatest } from '@herd/api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, startCli } from '../test-support/cli.js';
import { FakeDaemon, sendJson } from '../test-support/fake-daemon.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const latest: MetricsLatest = {
  time: '2026-11-26T07:00:00.000Z',
  intervalSeconds: 10,
  host: { name: 'box', cpus: 2, cpuPercent: 10, memoryUsedBytes: 1024 ** 3, memoryTotalBytes: 8 * 1024 ** 3, load: [0.1, 0.2, 0.3], vmsRunning: 1 },
  pools: [],
  vms: [{ id: 'i1', name: 'web', state: 'running', cpus: 1, memoryMiB: 128, cpuPercent: 42, vcpus: [{ index: 0, cpuPercent: 41 }], memoryRssBytes: 100 * 1024 ** 2, diskReadBytesPerSecond: 0, diskWriteBytesPerSecond: 0, netRxBytesPerSecond: null, netTxBytesPerSecond: null }],
};

describe('herd top', () => {
  it('--once prints the host line and one table', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/metrics/latest': (_q, res) => sendJson(res, 200, latest) });
    const r = await runCli(['top', '--once'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^box {2}cpu 10\.0% of 2/);
    expect(r.stdout).toMatch(/^web\s+running\s+42\.0\s+41\.0\s+100 MiB\/128 MiB/m);
  });

  it('--once -o json prints the API object', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/metrics/latest': (_q, res) => sendJson(res, 200, latest) });
    const r = await runCli(['top', '--once', '-o', 'json'], { url: daemon.url });
    expect(JSON.parse(r.stdout)).toEqual(latest);
  });

  it('refreshes until told to stop, then exits cleanly', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/metrics/latest': (_q, res) => sendJson(res, 200, latest) });
    const cli = startCli(['top', '--interval', '0.5'], { url: daemon.url, timeoutMs: 30_000 });
    while ((cli.stdout().match(/^NAME /gm)?.length ?? 0) < 2) await new Promise((r) => setTimeout(r, 100));
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(daemon.calls('GET', '/api/v1/metrics/latest').length).toBeGreaterThanOrEqual(2);
    expect(r.stdout.match(/^NAME /gm)?.length).toBeGreaterThanOrEqual(2);
  }, 40_000);
});

describe('herd metrics', () => {
  it('passes the range and step, and prints points with units', async () => {
    const series: MetricSeries = {
      metric: 'vm_memory_rss_bytes',
      target: 'i1',
      targetName: 'web',
      from: '2026-11-26T06:00:00.000Z',
      to: '2026-11-26T07:00:00.000Z',
      stepSeconds: 60,
      points: [{ time: '2026-11-26T06:00:00.000Z', value: 1.5 * 1024 ** 2 }],
    };
    daemon = await FakeDaemon.start({ 'GET /api/v1/metrics': (_q, res) => sendJson(res, 200, series) });
    const r = await runCli(['metrics', 'web', '--metric', 'vm_memory_rss_bytes', '--since', '1h', '--step', '1m'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    const q = daemon.calls('GET', '/api/v1/metrics')[0]?.query;
    expect([q?.get('metric'), q?.get('target'), q?.get('from'), q?.get('to'), q?.get('step')]).toEqual(['vm_memory_rss_bytes', 'web', '-1h', 'now', '1m']);
    expect(r.stdout).toBe('TIME                   VM_MEMORY_RSS_BYTES\n2026-11-26T06:00:00Z               1.5 MiB\n');
  });
});
