import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PlacementExplanation } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson, type Handler } from '../test-support/fake-daemon.js';
import { sampleOp, sampleVm } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

async function start(routes: Record<string, Handler>): Promise<FakeDaemon> {
  daemon = await FakeDaemon.start(routes);
  return daemon;
}

const pending = sampleOp({ kind: 'vm.create', status: 'pending' });

describe('herd vm create: placement', () => {
  it('sends the host, selector, groups, priority and HA', async () => {
    const d = await start({ 'POST /api/v1/vms': (_q, res) => sendJson(res, 202, pending) });
    const r = await runCli(
      [
        'vm', 'create', 'db2', '--image', 'tiny', '--no-wait',
        '--host', 'node-2.example.com',
        '--selector', 'zone=a', '--selector', 'disk=ssd',
        '--group', 'db:anti-affinity', '--group', 'web:affinity:soft', '--group', 'rack:anti-affinity:max=2',
        '--priority=-5', '--ha',
      ],
      { url: d.url },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(d.calls('POST', '/api/v1/vms')[0]?.body).toEqual({
      name: 'db2',
      image: 'tiny',
      host: 'node-2.example.com',
      placement: {
        selector: { zone: 'a', disk: 'ssd' },
        groups: [
          { name: 'db', policy: 'anti-affinity', hard: true },
          { name: 'web', policy: 'affinity', hard: false },
          { name: 'rack', policy: 'anti-affinity', hard: true, maxPerHost: 2 },
        ],
      },
      priority: -5,
      ha: true,
    });
  });

  it('says the --group syntax in --help', async () => {
    const r = await runCli(['vm', 'create', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('NAME:POLICY[:soft][:max=N]');
  });

  it.each([
    [['--group', 'db'], /'db' is not NAME:POLICY\[:soft\]\[:max=N\]: POLICY is affinity or anti-affinity/],
    [['--group', 'db:together'], /POLICY is affinity or anti-affinity/],
    [['--group', 'db:affinity:max=2'], /max=N limits anti-affinity groups only/],
    [['--group', 'db:anti-affinity:max=0'], /max must be 1 or more/],
    [['--group', 'db:anti-affinity:often'], /unknown part 'often'/],
    [['--group', 'Db:affinity'], /group: 'Db' is not a valid name/],
    [['--group', 'db:affinity', '--group', 'db:anti-affinity'], /group db is given twice/],
    [['--selector', 'zone'], /'zone' is not KEY=VALUE/],
    [['--selector', 'zone=a', '--selector', 'zone=b'], /label zone is selected twice/],
    [['--priority', '1001'], /not a whole number from -1000 to 1000/],
    [['--host', 'no such host'], /'no such host' is not a valid host name/],
  ])('exits 2 for %j without calling the daemon', async (args, message) => {
    const d = await start({});
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny', ...args], { url: d.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(d.requests).toEqual([]);
  });

  it('exits 4 with the grouped reasons when no host fits', async () => {
    const hosts = [
      { host: 'a', filter: 'capacity', reason: 'needs 4 vCPUs, has 2 free of 2×1.0' },
      { host: 'b', filter: 'capacity', reason: 'needs 4 vCPUs, has 2 free of 2×1.0' },
    ];
    const d = await start({
      'POST /api/v1/vms': (_q, res) => sendError(res, 'no_host_fits', { vm: 'web1', summary: 'no host fits VM web1 (2 hosts): a, b: capacity (needs 4 vCPUs, has 2 free of 2×1.0)', hosts }),
    });
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny', '--cpus', '4'], { url: d.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      "herd: no host fits VM web1 (2 hosts): a, b: capacity (needs 4 vCPUs, has 2 free of 2×1.0); free room on a host, ask for less, or relax the VM's host, selector or groups (details.hosts has each host's reason)\n",
    );
  });
});

describe('herd vm set: priority and HA', () => {
  it('sends --priority and --no-ha', async () => {
    const d = await start({ 'PATCH /api/v1/vms/web1': (_q, res) => sendJson(res, 200, sampleVm('web1', { priority: 10, ha: false })) });
    const r = await runCli(['vm', 'set', 'web1', '--priority', '10', '--no-ha'], { url: d.url });
    expect(r.code).toBe(0);
    expect(d.calls('PATCH', '/api/v1/vms/web1')[0]?.body).toEqual({ priority: 10, ha: false });
    expect(r.stdout).toMatch(/^priority:\s+10$/m);
  });
});

describe('herd vm show: placement', () => {
  it('shows the host, placement, priority and HA', async () => {
    const vm = sampleVm('db2', {
      host: 'node-2',
      placement: { selector: { zone: 'a' }, groups: [{ name: 'db', policy: 'anti-affinity', hard: true, maxPerHost: 2 }, { name: 'web', policy: 'affinity', hard: false }] },
      priority: 100,
      ha: true,
    });
    const d = await start({ 'GET /api/v1/vms/db2': (_q, res) => sendJson(res, 200, vm) });
    const r = await runCli(['vm', 'show', 'db2'], { url: d.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^host:\s+node-2$/m);
    expect(r.stdout).toMatch(/^placement:\s+hosts with zone=a; groups db \(anti-affinity, max 2 per host\), web \(affinity, soft\)$/m);
    expect(r.stdout).toMatch(/^priority:\s+100$/m);
    expect(r.stdout).toMatch(/^ha:\s+yes: restarted on another host if its host fails$/m);
  });
});

describe('herd vm explain-placement', () => {
  const explanation: PlacementExplanation = {
    vm: 'web1',
    host: 'a',
    chosen: 'b',
    hosts: [
      { name: 'b', fits: true, rejections: [], weights: { spread: 0.9, load: 0.75 }, score: 1.65 },
      { name: 'a', fits: true, rejections: [], weights: { spread: 0.5, load: 0.8 }, score: 1.3 },
      { name: 'c', fits: false, rejections: [{ filter: 'labels', reason: 'wants zone=a, host has zone=b' }, { filter: 'capacity', reason: 'needs 2 vCPUs, has 1 free of 1×1.0' }], weights: {}, score: null },
      { name: 'd', fits: false, rejections: [{ filter: 'online', reason: 'host is offline (fenced after its lease ran out)' }], weights: {}, score: null },
    ],
  };

  it('prints a table in the scheduler’s order with the chosen host marked', async () => {
    const d = await start({ 'GET /api/v1/vms/web1/placement': (_q, res) => sendJson(res, 200, explanation) });
    const r = await runCli(['vm', 'explain-placement', 'web1'], { url: d.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      "vm 'web1' is on a; placed now, it would go to b (*)",
      'HOST   FITS   SCORE   WHY',
      'b *    yes     1.65   spread 0.90, load 0.75',
      'a      yes     1.30   load 0.80, spread 0.50',
      'c      no         -   labels: wants zone=a, host has zone=b; capacity: needs 2 vCPUs, has 1 free of 1×1.0',
      'd      no         -   online: host is offline (fenced after its lease ran out)',
      '',
    ]);
  });

  it('says when no host fits, and prints the explanation as the API gave it with -o json', async () => {
    const none = { ...explanation, chosen: null, hosts: explanation.hosts.slice(2) };
    const d = await start({ 'GET /api/v1/vms/web1/placement': (_q, res) => sendJson(res, 200, none) });
    const table = await runCli(['vm', 'explain-placement', 'web1'], { url: d.url });
    expect(table.stdout.split('\n')[0]).toBe("vm 'web1' is on a; placed now, it would fit no host");
    const json = await runCli(['vm', 'explain-placement', 'web1', '-o', 'json'], { url: d.url });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(none);
  });

  it('exits 3 for an unknown VM', async () => {
    const d = await start({ 'GET /api/v1/vms/nope/placement': (_q, res) => sendError(res, 'not_found', { kind: 'vm', name: 'nope' }) });
    const r = await runCli(['vm', 'explain-placement', 'nope'], { url: d.url });
    expect(r.code).toBe(3);
  });
});
