import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleHost } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

describe('herd host list|show', () => {
  it('lists hosts: late when the lease ran out unfenced, the leader marked, allocation against capacity', async () => {
    const hosts = [
      sampleHost('h1'),
      sampleHost('h2', { leader: false, alive: false, labels: {}, loadCpu: null, vms: { total: 0, running: 0 }, allocated: { vcpus: 0, memoryMiB: 0, diskGiB: 0 } }),
      sampleHost('h3', { leader: false, status: 'offline', alive: false, mode: 'maintenance', labels: { zone: 'b', disk: 'ssd' } }),
    ];
    daemon = await FakeDaemon.start({ 'GET /api/v1/hosts': (_q, res) => sendJson(res, 200, hosts) });
    const r = await runCli(['host', 'list'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'NAME   STATUS    MODE          LEADER   VMS   VCPUS           MEMORY   LOAD   LABELS',
        'h1     online    active        *        1/2     3/8   1.5 GiB/16 GiB    13%   zone=a',
        'h2     late      active                 0/0     0/8       0 B/16 GiB      -   -',
        'h3     offline   maintenance            1/2     3/8   1.5 GiB/16 GiB    13%   zone=b,disk=ssd',
        '',
      ].join('\n'),
    );
  });

  it('shows a host, local by default, and prints JSON with -o json', async () => {
    const h = sampleHost('h1', { overcommit: { cpu: 4 } });
    daemon = await FakeDaemon.start({ 'GET /api/v1/hosts/local': (_q, res) => sendJson(res, 200, h) });
    const r = await runCli(['host', 'show'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^status:\s+online \(leader\)$/m);
    expect(r.stdout).toMatch(/^address:\s+https:\/\/h1\.example:8443$/m);
    expect(r.stdout).toMatch(/^vcpus:\s+3 allocated of 8 CPUs \(overcommit 4\)$/m);
    expect(r.stdout).toMatch(/^memory:\s+1\.5 GiB allocated of 16 GiB \(overcommit cluster default\)$/m);
    expect(r.stdout).toMatch(/^pools:\s+default$/m);
    const j = await runCli(['host', 'show', '-o', 'json'], { url: daemon.url });
    expect(JSON.parse(j.stdout)).toEqual(h);
  });

  it('refuses a malformed host name before asking', async () => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(['host', 'show', 'bad_name'], { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a valid host name/);
    expect(daemon.requests).toEqual([]);
  });
});

describe('herd host label', () => {
  it('sets and removes labels kubectl style, sending the whole new set', async () => {
    const h = sampleHost('h1', { labels: { zone: 'a', rack: 'r1' } });
    daemon = await FakeDaemon.start({
      'GET /api/v1/hosts/h1': (_q, res) => sendJson(res, 200, h),
      'PATCH /api/v1/hosts/h1': (q, res) => sendJson(res, 200, { ...h, labels: (q.body as { labels: Host['labels'] }).labels }),
    });
    const r = await runCli(['host', 'label', 'h1', 'zone=b', 'disk=ssd', 'rack-', 'gpu-'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('PATCH', '/api/v1/hosts/h1')[0]?.body).toEqual({ labels: { zone: 'b', disk: 'ssd' } });
    expect(r.stderr).toBe("herd: host 'h1' has no label 'gpu'\n");
    expect(r.stdout).toMatch(/^labels:\s+zone=b,disk=ssd$/m);
  });

  it.each([
    [['host', 'label', 'h1', 'zone'], /'zone' is neither KEY=VALUE/],
    [['host', 'label', 'h1', 'zone=a', 'zone-'], /label 'zone' is both set and removed/],
    [['host', 'label', 'h1'], /missing required argument 'changes'/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });

  it('exits 5 with the daemon message for a label it refuses', async () => {
    daemon = await FakeDaemon.start({
      'GET /api/v1/hosts/h1': (_q, res) => sendJson(res, 200, sampleHost('h1')),
      'PATCH /api/v1/hosts/h1': (_q, res) => sendError(res, 'validation_failed', { field: 'labels.Zone', reason: "'Zone' is not a valid key of labels" }),
    });
    const r = await runCli(['host', 'label', 'h1', 'Zone=a'], { url: daemon.url });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/'Zone' is not a valid key of labels/);
  });
});

describe('herd host set-overcommit', () => {
  it('sends the ratios given, default as null', async () => {
    daemon = await FakeDaemon.start({ 'PATCH /api/v1/hosts/h1': (_q, res) => sendJson(res, 200, sampleHost('h1', { overcommit: { cpu: 8, memory: 1.5 } })) });
    const r = await runCli(['host', 'set-overcommit', 'h1', '--cpu', '8', '--memory', '1.5', '--disk', 'default'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('PATCH', '/api/v1/hosts/h1')[0]?.body).toEqual({ overcommit: { cpu: 8, memory: 1.5, disk: null } });
    expect(r.stdout).toMatch(/^memory:\s+.*\(overcommit 1\.5\)$/m);
  });

  it.each([
    [['host', 'set-overcommit', 'h1'], /say what to change: --cpu, --memory or --disk/],
    [['host', 'set-overcommit', 'h1', '--cpu', '0'], /expected a ratio from 0\.1 to 100, or default/],
    [['host', 'set-overcommit', 'h1', '--memory', 'lots'], /expected a ratio/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });
});

describe('herd host remove', () => {
  it('says the host is gone', async () => {
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/hosts/h2': (_q, res) => sendJson(res, 200, sampleHost('h2', { alive: false, status: 'offline' })) });
    const r = await runCli(['host', 'remove', 'h2'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("host 'h2' removed\n");
  });

  it('exits 4 with what to do when the host is alive or still has VMs', async () => {
    daemon = await FakeDaemon.start({
      'DELETE /api/v1/hosts/h1': (_q, res) => sendError(res, 'host_alive', { name: 'h1', heartbeatAt: '2025-01-01T00:00:00.000Z', leaseExpiresAt: '2025-01-01T00:00:10.000Z' }),
      'DELETE /api/v1/hosts/h2': (_q, res) => sendError(res, 'host_not_empty', { name: 'h2', vms: 'VMs web1, web2' }),
    });
    const alive = await runCli(['host', 'remove', 'h1'], { url: daemon.url });
    expect(alive.code).toBe(4);
    expect(alive.stderr).toMatch(/^herd: host 'h1' is still alive .*stop herd on it and wait until its lease has run out, then remove it\n$/);
    const busy = await runCli(['host', 'remove', 'h2'], { url: daemon.url });
    expect(busy.code).toBe(4);
    expect(busy.stderr).toBe("herd: host 'h2' still has VMs web1, web2; delete those VMs or move them to another host first\n");
  });
});
