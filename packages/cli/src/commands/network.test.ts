import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleNetwork } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

describe('herd network create', () => {
  it('sends a nat network with its addressing and prints it', async () => {
    const created = sampleNetwork({ name: 'lab', cidr: '10.20.0.0/24', gateway: '10.20.0.1', dhcpRange: { start: '10.20.0.100', end: '10.20.0.200' }, vlan: 12, mtu: 9000, nics: 0 });
    daemon = await FakeDaemon.start({ 'POST /api/v1/networks': (_q, res) => sendJson(res, 201, created) });
    const r = await runCli(
      ['network', 'create', 'lab', '--type', 'nat', '--cidr', '10.20.0.0/24', '--dhcp-range', '10.20.0.100-10.20.0.200', '--vlan', '12', '--mtu', '9000'],
      { url: daemon.url },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/networks')[0]?.body).toEqual({
      name: 'lab',
      type: 'nat',
      cidr: '10.20.0.0/24',
      dhcpRange: { start: '10.20.0.100', end: '10.20.0.200' },
      vlan: 12,
      mtu: 9000,
    });
    expect(r.stdout).toMatch(/^gateway:\s+10\.20\.0\.1$/m);
    expect(r.stdout).toMatch(/^dhcp range:\s+10\.20\.0\.100-10\.20\.0\.200$/m);
    expect(r.stdout).toMatch(/^state:\s+ready$/m);
  });

  it('sends a bridged network with its bridge only', async () => {
    const created = sampleNetwork({ name: 'lan', type: 'bridged', cidr: null, gateway: null, dhcpRange: null, bridge: 'br0', domain: null });
    daemon = await FakeDaemon.start({ 'POST /api/v1/networks': (_q, res) => sendJson(res, 201, created) });
    const r = await runCli(['network', 'create', 'lan', '--type', 'bridged', '--bridge', 'br0', '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/networks')[0]?.body).toEqual({ name: 'lan', type: 'bridged', bridge: 'br0' });
    expect(JSON.parse(r.stdout)).toEqual(created);
  });

  it('sends a vxlan network with its VNI and shows the VNI', async () => {
    const created = sampleNetwork({ name: 'overlay', type: 'vxlan', cidr: '10.30.0.0/24', gateway: '10.30.0.1', vni: 5001, mtu: 1450, domain: 'overlay.herd', nics: 0 });
    daemon = await FakeDaemon.start({ 'POST /api/v1/networks': (_q, res) => sendJson(res, 201, created) });
    const r = await runCli(['network', 'create', 'overlay', '--type', 'vxlan', '--cidr', '10.30.0.0/24', '--vni', '5001'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/networks')[0]?.body).toEqual({ name: 'overlay', type: 'vxlan', cidr: '10.30.0.0/24', vni: 5001 });
    expect(r.stdout).toMatch(/^type:\s+vxlan \(/m);
    expect(r.stdout).toMatch(/^vni:\s+5001$/m);
    expect(r.stdout).toMatch(/^mtu:\s+1450$/m);
  });

  it('exits 4 when the VNI is taken', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/networks': (_q, res) => sendError(res, 'address_conflict', { reason: "VNI 5001 is already used by network 'overlay'; choose another or leave vni out to get a free one", field: 'vni' }),
    });
    const r = await runCli(['network', 'create', 'other', '--type', 'vxlan', '--cidr', '10.31.0.0/24', '--vni', '5001'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: VNI 5001 is already used by network 'overlay'; choose another or leave vni out to get a free one\n");
  });

  it.each([
    [['network', 'create', 'n', '--type', 'bridged'], /a bridged network needs --bridge BRIDGE/],
    [['network', 'create', 'n', '--type', 'bridged', '--bridge', 'br0', '--cidr', '10.0.0.0/24'], /--cidr and --dhcp-range are for nat, isolated and vxlan networks/],
    [['network', 'create', 'n', '--type', 'nat', '--vni', '5'], /--vni is for vxlan networks; a nat network has no VNI/],
    [['network', 'create', 'n', '--type', 'vxlan', '--vlan', '5'], /--vlan is not for vxlan networks/],
    [['network', 'create', 'n', '--type', 'vxlan', '--vni', '16777216'], /must be a whole number from 1 to 16777215/],
    [['network', 'create', 'n', '--type', 'nat', '--bridge', 'br0'], /--bridge is for bridged networks/],
    [['network', 'create', 'n', '--type', 'nat', '--dhcp-range', '10.0.0.5'], /not a range of two IPv4 addresses/],
    [['network', 'create', 'n', '--type', 'nat', '--vlan', '5000'], /must be a whole number from 1 to 4094/],
    [['network', 'create', 'n', '--type', 'wifi'], /Allowed choices are nat, isolated, bridged, vxlan/],
    [['network', 'create', 'n'], /required option '--type <type>' not specified/],
    [['network', 'create', 'Lab', '--type', 'nat'], /'Lab' is not a valid name/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });

  it('exits 4 when the network overlaps another', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/networks': (_q, res) => sendError(res, 'address_conflict', { reason: "10.177.0.0/16 overlaps network 'default' (10.177.0.0/24); choose a network that does not", field: 'cidr' }),
    });
    const r = await runCli(['network', 'create', 'big', '--type', 'nat', '--cidr', '10.177.0.0/16'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: 10.177.0.0/16 overlaps network 'default' (10.177.0.0/24); choose a network that does not\n");
  });

  it('exits 5 when the daemon cannot manage networks', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/networks': (_q, res) => sendError(res, 'networking_unavailable', { reason: 'the daemon does not run as root' }),
    });
    const r = await runCli(['network', 'create', 'lab', '--type', 'isolated', '--cidr', '10.9.0.0/24'], { url: daemon.url });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('herd: herd networks are not available: the daemon does not run as root\n');
  });
});

describe('herd network list|show', () => {
  it('lists networks with their addressing, NICs and state', async () => {
    const networks = [
      sampleNetwork(),
      sampleNetwork({ name: 'lan', type: 'bridged', cidr: null, gateway: null, dhcpRange: null, bridge: 'br0', nics: 0, status: { state: 'error', error: 'bridge br0 does not exist' } }),
      sampleNetwork({ name: 'overlay', type: 'vxlan', cidr: '10.30.0.0/24', gateway: '10.30.0.1', bridge: 'hb-7e6f5a4b', vni: 4096, mtu: 1450, nics: 2 }),
    ];
    daemon = await FakeDaemon.start({ 'GET /api/v1/networks': (_q, res) => sendJson(res, 200, networks) });
    const r = await runCli(['network', 'list'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'NAME      TYPE      CIDR            GATEWAY      BRIDGE           VNI   NICS   STATE',
        'default   nat       10.177.0.0/24   10.177.0.1   hb-4d3c2b1a0f      -      1   ready',
        'lan       bridged   -               -            br0                -      0   error',
        'overlay   vxlan     10.30.0.0/24    10.30.0.1    hb-7e6f5a4b     4096      2   ready',
        '',
      ].join('\n'),
    );
  });

  it("shows a network's error", async () => {
    const net = sampleNetwork({ status: { state: 'error', error: 'dnsmasq exited' } });
    daemon = await FakeDaemon.start({ 'GET /api/v1/networks/default': (_q, res) => sendJson(res, 200, net) });
    const r = await runCli(['network', 'show', 'default'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^type:\s+nat \(/m);
    expect(r.stdout).toMatch(/^vlan:\s+-$/m);
    expect(r.stdout).toMatch(/^error:\s+dnsmasq exited$/m);
  });

  it('exits 3 for an unknown network', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/networks/nope': (_q, res) => sendError(res, 'not_found', { kind: 'network', name: 'nope' }) });
    const r = await runCli(['network', 'show', 'nope'], { url: daemon.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("herd: network 'nope' does not exist; list them with `herd network list`\n");
  });
});

describe('herd network delete', () => {
  it('says the network is gone', async () => {
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/networks/lab': (_q, res) => sendJson(res, 200, sampleNetwork({ name: 'lab', nics: 0 })) });
    const r = await runCli(['network', 'delete', 'lab'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("network 'lab' deleted\n");
  });

  it('exits 4 while NICs use it', async () => {
    daemon = await FakeDaemon.start({
      'DELETE /api/v1/networks/default': (_q, res) => sendError(res, 'network_in_use', { name: 'default', users: '2 NIC(s) of VMs web1, db' }),
    });
    const r = await runCli(['network', 'delete', 'default'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: network 'default' is used by 2 NIC(s) of VMs web1, db; remove those NICs first\n");
  });
});
