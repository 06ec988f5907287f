import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { samplePool } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const GiB = 1024 ** 3;

describe('herd pool create', () => {
  it('sends a dir pool with its path made absolute here, and prints the pool', async () => {
    const created = samplePool({ name: 'nfs', shared: true });
    daemon = await FakeDaemon.start({ 'POST /api/v1/pools': (_q, res) => sendJson(res, 201, created) });
    const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'herd-cli-')));
    const r = await runCli(['pool', 'create', 'nfs', '--type', 'dir', '--path', 'mnt/nfs', '--shared'], { url: daemon.url, cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/pools')[0]?.body).toEqual({ name: 'nfs', type: 'dir', path: join(cwd, 'mnt/nfs'), shared: true });
    expect(r.stdout).toMatch(/^shared:\s+yes/m);
  });

  it('sends an lvm-thin pool with its volume group and thin pool', async () => {
    const created = samplePool({ name: 'fast', type: 'lvm-thin', path: null, volumeGroup: 'vg0', thinPool: 'thin' });
    daemon = await FakeDaemon.start({ 'POST /api/v1/pools': (_q, res) => sendJson(res, 201, created) });
    const r = await runCli(['pool', 'create', 'fast', '--type', 'lvm-thin', '--vg', 'vg0', '--thin-pool', 'thin', '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/pools')[0]?.body).toEqual({ name: 'fast', type: 'lvm-thin', volumeGroup: 'vg0', thinPool: 'thin' });
    expect(JSON.parse(r.stdout)).toEqual(created);
  });

  it.each([
    [['pool', 'create', 'p', '--type', 'dir'], /a dir pool needs --path DIR/],
    [['pool', 'create', 'p', '--type', 'dir', '--path', '/x', '--vg', 'vg0'], /--vg and --thin-pool are for lvm-thin pools/],
    [['pool', 'create', 'p', '--type', 'lvm-thin', '--vg', 'vg0'], /needs --vg VG and --thin-pool LV/],
    [['pool', 'create', 'p', '--type', 'lvm-thin', '--vg', 'vg0', '--thin-pool', 't', '--shared'], /--shared is for dir pools/],
    [['pool', 'create', 'p', '--type', 'zfs'], /Allowed choices are dir, lvm-thin/],
    [['pool', 'create', 'p', '--path', '/x'], /required option '--type <type>' not specified/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });
});

describe('herd pool list|show', () => {
  it('lists pools with human sizes and the share used', async () => {
    const pools = [samplePool(), samplePool({ name: 'fast', type: 'lvm-thin', capacityBytes: 10 * GiB, allocatedBytes: 12 * GiB, usedBytes: 9.5 * GiB, freeBytes: 0.5 * GiB, volumes: 12 })];
    daemon = await FakeDaemon.start({ 'GET /api/v1/pools': (_q, res) => sendJson(res, 200, pools) });
    const r = await runCli(['pool', 'list'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'NAME      TYPE       CAPACITY   ALLOCATED      USED   USED%      FREE   VOLUMES',
        'default   dir         100 GiB      40 GiB    20 GiB     20%    80 GiB         3',
        'fast      lvm-thin     10 GiB      12 GiB   9.5 GiB     95%   512 MiB        12',
        '',
      ].join('\n'),
    );
  });

  it('shows an lvm-thin pool, saying when it is overcommitted', async () => {
    const pool = samplePool({ name: 'fast', type: 'lvm-thin', path: null, volumeGroup: 'vg0', thinPool: 'thin', allocatedBytes: 200 * GiB });
    daemon = await FakeDaemon.start({ 'GET /api/v1/pools/fast': (_q, res) => sendJson(res, 200, pool) });
    const r = await runCli(['pool', 'show', 'fast'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^volume group:\s+vg0$/m);
    expect(r.stdout).toMatch(/^thin pool:\s+thin$/m);
    expect(r.stdout).toMatch(/^allocated:\s+200 GiB \(overcommitted/m);
    expect(r.stdout).toMatch(/^used:\s+20 GiB \(20%\)$/m);
    expect(r.stdout).not.toMatch(/^path:/m);
  });
});

describe('herd pool delete', () => {
  it('says the pool is gone', async () => {
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/pools/old': (_q, res) => sendJson(res, 200, samplePool({ name: 'old', volumes: 0 })) });
    const r = await runCli(['pool', 'delete', 'old'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("pool 'old' deleted\n");
  });

  it('exits 4 with the message when the pool still holds volumes', async () => {
    daemon = await FakeDaemon.start({
      'DELETE /api/v1/pools/fast': (_q, res) => sendError(res, 'pool_in_use', { name: 'fast', volumes: 'volumes data1, data2' }),
    });
    const r = await runCli(['pool', 'delete', 'fast'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: pool 'fast' still holds volumes data1, data2; delete or move those volumes first\n");
  });
});
