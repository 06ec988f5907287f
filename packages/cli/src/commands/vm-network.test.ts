import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Vm } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleOp, sampleVm } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const pending = sampleOp({ kind: 'vm.create', status: 'pending' });

/** A daemon that accepts the create and at once reports `created` as its result. */
function creating(created: Vm): Promise<FakeDaemon> {
  return FakeDaemon.start({
    'POST /api/v1/vms': (_q, res) => sendJson(res, 202, pending),
    [`GET /api/v1/operations/${pending.id}`]: (_q, res) => sendJson(res, 200, { ...pending, status: 'succeeded', progress: 100, result: { vm: created } }),
  });
}

const nics: Vm['spec']['nics'] = [
  { network: 'default', device: 'n8e7d6c5b4a39', mac: '52:54:00:ab:cd:ef', ip: '10.177.0.10', securityGroups: ['web'] },
  { network: 'lan', device: 'n9f8e7d6c5b4a', mac: '52:54:00:00:00:02', ip: null, securityGroups: [] },
];
const networked = (name = 'web1', addresses = ['10.177.0.10']) => {
  const base = sampleVm(name);
  return sampleVm(name, { spec: { ...base.spec, nics }, status: { ...base.status, addresses } });
};

describe('herd vm create --network', () => {
  it('sends one NIC per --network, with the per-NIC settings', async () => {
    daemon = await creating(networked());
    const r = await runCli(
      ['vm', 'create', 'web1', '--image', 'tiny', '--network', 'default,ip=10.177.0.10,secgroup=web,secgroup=ssh', '--network', 'lan,mac=52:54:00:00:00:02'],
      { url: daemon.url },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms')[0]?.body).toEqual({
      name: 'web1',
      image: 'tiny',
      nics: [
        { network: 'default', ip: '10.177.0.10', securityGroups: ['web', 'ssh'] },
        { network: 'lan', mac: '52:54:00:00:00:02' },
      ],
    });
  });

  it('leaves the NICs to the daemon without either option', async () => {
    daemon = await creating(networked());
    await runCli(['vm', 'create', 'web1', '--image', 'tiny'], { url: daemon.url });
    expect(daemon.calls('POST', '/api/v1/vms')[0]?.body).toEqual({ name: 'web1', image: 'tiny' });
  });

  it('sends no NICs with --no-network, and notes that forwards use user-mode networking', async () => {
    const base = sampleVm();
    daemon = await creating(sampleVm('web1', { spec: { ...base.spec, portForwards: [{ hostPort: 18080, guestPort: 80 }] } }));
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny', '--no-network', '--forward', '18080:80'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms')[0]?.body).toEqual({ name: 'web1', image: 'tiny', nics: [], portForwards: [{ hostPort: 18080, guestPort: 80 }] });
    expect(r.stderr).toBe("herd: vm 'web1' has no NIC on a herd network; its port forwards use QEMU user-mode networking\n");
    expect(r.stdout).toMatch(/^forwards:\s+127\.0\.0\.1:18080->80 \(QEMU user-mode networking only\)$/m);
  });

  it.each([
    [['--network', 'default', '--no-network'], /give either --network or --no-network, not both/],
    [['--no-network', '--network', 'default'], /give either --network or --no-network, not both/],
    [['--network', 'default,ip=10.0.0'], /ip=10\.0\.0 is not an IPv4 address/],
    [['--network', 'default,mac=xx'], /mac=xx is not a MAC address/],
    [['--network', 'default,vlan=3'], /'vlan=3' is not a NIC setting/],
    [['--network', ',ip=10.0.0.5'], /a name cannot be empty/],
  ])('exits 2 for %j', async (extra, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny', ...extra], { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.startsWith('herd: ')).toBe(true);
    expect(daemon.requests).toEqual([]);
  });

  it('exits 4 when the network has no address left', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms': (_q, res) => sendError(res, 'addresses_exhausted', { name: 'default', range: '10.177.0.10-10.177.0.20' }),
    });
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny', '--network', 'default'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^herd: network 'default' has no free address left in 10\.177\.0\.10-10\.177\.0\.20/);
  });
});

describe('herd vm list|show with networks', () => {
  it('shows the first address and how many more in ADDRESSES', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/vms': (_q, res) => sendJson(res, 200, [networked('web1', ['10.177.0.10', '10.20.0.5']), networked('db', ['10.177.0.11'])]) });
    const r = await runCli(['vm', 'list'], { url: daemon.url });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/\s10\.177\.0\.10 \+1$/);
    expect(lines[2]).toMatch(/\s10\.177\.0\.11$/);
  });

  it('lists the addresses and a NIC table in show', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/vms/web1': (_q, res) => sendJson(res, 200, networked()) });
    const r = await runCli(['vm', 'show', 'web1'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^addresses:\s+10\.177\.0\.10$/m);
    expect(r.stdout).toMatch(
      /\n\nDEVICE\s+NETWORK\s+MAC\s+IP\s+SECGROUPS\nn8e7d6c5b4a39\s+default\s+52:54:00:ab:cd:ef\s+10\.177\.0\.10\s+web\nn9f8e7d6c5b4a\s+lan\s+52:54:00:00:00:02\s+-\s+-\n$/,
    );
  });
});
