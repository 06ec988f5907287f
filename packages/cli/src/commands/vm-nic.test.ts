import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleNic, sampleOp } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const nic = sampleNic({ securityGroups: ['web', 'ssh'] });

describe('herd vm nic list', () => {
  it("lists a VM's NICs", async () => {
    const lan = sampleNic({ id: '9f8e7d6c-5b4a-4392-8e1f-0a1b2c3d4e5f', network: 'lan', device: 'n9f8e7d6c5b4a', mac: '52:54:00:00:00:02', ip: null, tap: 'ht-9f8e7d6c5b4a' });
    daemon = await FakeDaemon.start({ 'GET /api/v1/vms/web1/nics': (_q, res) => sendJson(res, 200, [nic, lan]) });
    const r = await runCli(['vm', 'nic', 'list', 'web1'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'DEVICE          NETWORK   MAC                 IP            TAP               SECGROUPS',
        'n8e7d6c5b4a39   default   52:54:00:ab:cd:ef   10.177.0.10   ht-8e7d6c5b4a39   web,ssh',
        'n9f8e7d6c5b4a   lan       52:54:00:00:00:02   -             ht-9f8e7d6c5b4a   -',
        '',
      ].join('\n'),
    );
  });

  it('exits 3 for an unknown VM', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/vms/nope/nics': (_q, res) => sendError(res, 'not_found', { kind: 'vm', name: 'nope' }) });
    const r = await runCli(['vm', 'nic', 'list', 'nope'], { url: daemon.url });
    expect(r.code).toBe(3);
  });
});

describe('herd vm nic add', () => {
  const pending = sampleOp({ kind: 'nic.add', status: 'pending' });
  const succeeded = { ...pending, status: 'succeeded', progress: 100, result: { nic, live: true } } as const;

  it('sends the options, waits, and says the NIC was hot-plugged', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/nics': (_q, res) => sendJson(res, 202, pending),
      [`GET /api/v1/operations/${pending.id}`]: (_q, res) => sendJson(res, 200, succeeded),
    });
    const r = await runCli(
      ['vm', 'nic', 'add', 'web1', '--network', 'default', '--ip', '10.177.0.10', '--mac', '52:54:00:AB:CD:EF', '--secgroup', 'web', '--secgroup', 'ssh'],
      { url: daemon.url },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/nics')[0]?.body).toEqual({
      network: 'default',
      ip: '10.177.0.10',
      mac: '52:54:00:ab:cd:ef',
      securityGroups: ['web', 'ssh'],
    });
    expect(r.stdout).toBe("NIC n8e7d6c5b4a39 (52:54:00:ab:cd:ef) of vm 'web1' on network 'default', 10.177.0.10; security groups: web, ssh added (hot-plugged)\n");
  });

  it('prints the NIC with -o json', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/nics': (_q, res) => sendJson(res, 202, pending),
      [`GET /api/v1/operations/${pending.id}`]: (_q, res) => sendJson(res, 200, succeeded),
    });
    const r = await runCli(['vm', 'nic', 'add', 'web1', '--network', 'default', '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(nic);
  });

  it('exits 4 when the address is taken', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/nics': (_q, res) => sendError(res, 'address_conflict', { reason: "address 10.177.0.10 is already in use on network 'default'", field: 'ip' }),
    });
    const r = await runCli(['vm', 'nic', 'add', 'web1', '--network', 'default', '--ip', '10.177.0.10'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: address 10.177.0.10 is already in use on network 'default'\n");
  });

  it('exits 7 when the hot-plug fails', async () => {
    const failed = { ...pending, status: 'failed', error: { code: 'qemu_failed', message: "QEMU could not hot-plug the NIC of VM 'web1'", details: {} } } as const;
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/nics': (_q, res) => sendJson(res, 202, pending),
      [`GET /api/v1/operations/${pending.id}`]: (_q, res) => sendJson(res, 200, failed),
    });
    const r = await runCli(['vm', 'nic', 'add', 'web1', '--network', 'default'], { url: daemon.url });
    expect(r.code).toBe(7);
  });

  it.each([
    [['vm', 'nic', 'add', 'web1'], /required option '--network <network>' not specified/],
    [['vm', 'nic', 'add', 'web1', '--network', 'default', '--ip', '10.0.0.256'], /'10.0.0.256' is not an IPv4 address/],
    [['vm', 'nic', 'add', 'web1', '--network', 'default', '--mac', '52:54:00'], /'52:54:00' is not a MAC address/],
    [['vm', 'nic', 'add', 'web1', '--network', 'default', '--secgroup', 'Web'], /security group: 'Web' is not a valid name/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });
});

describe('herd vm nic remove|set-groups', () => {
  it('removes a NIC named by its MAC', async () => {
    const op = sampleOp({ kind: 'nic.remove', status: 'succeeded', progress: 100, result: { mac: nic.mac, live: false } });
    // The client escapes the colons of a MAC in the path, as it does every parameter.
    daemon = await FakeDaemon.start({ [`DELETE /api/v1/vms/web1/nics/${encodeURIComponent(nic.mac)}`]: (_q, res) => sendJson(res, 202, op) });
    const r = await runCli(['vm', 'nic', 'remove', 'web1', nic.mac], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`NIC ${nic.mac} removed from vm 'web1'\n`);
  });

  it('exits 3 for an unknown NIC', async () => {
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/vms/web1/nics/n000': (_q, res) => sendError(res, 'not_found', { kind: 'nic', name: 'web1/n000' }) });
    const r = await runCli(['vm', 'nic', 'remove', 'web1', 'n000'], { url: daemon.url });
    expect(r.code).toBe(3);
  });

  it('replaces the security groups', async () => {
    daemon = await FakeDaemon.start({ [`PATCH /api/v1/vms/web1/nics/${nic.device}`]: (_q, res) => sendJson(res, 200, nic) });
    const r = await runCli(['vm', 'nic', 'set-groups', 'web1', nic.device, 'web, ssh'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('PATCH', `/api/v1/vms/web1/nics/${nic.device}`)[0]?.body).toEqual({ securityGroups: ['web', 'ssh'] });
    expect(r.stdout).toMatch(/security groups: web, ssh\n$/);
  });

  it('clears them with an empty list', async () => {
    daemon = await FakeDaemon.start({ [`PATCH /api/v1/vms/web1/nics/${nic.device}`]: (_q, res) => sendJson(res, 200, { ...nic, securityGroups: [] }) });
    const r = await runCli(['vm', 'nic', 'set-groups', 'web1', nic.device, ''], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('PATCH', `/api/v1/vms/web1/nics/${nic.device}`)[0]?.body).toEqual({ securityGroups: [] });
    expect(r.stdout).toMatch(/security groups: none\n$/);
  });

  it('exits 5 for a group that does not exist', async () => {
    daemon = await FakeDaemon.start({
      [`PATCH /api/v1/vms/web1/nics/${nic.device}`]: (_q, res) => sendError(res, 'validation_failed', { field: 'securityGroups', reason: "security group 'nope' does not exist; see `herd secgroup list`" }),
    });
    const r = await runCli(['vm', 'nic', 'set-groups', 'web1', nic.device, 'nope'], { url: daemon.url });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe("herd: securityGroups: security group 'nope' does not exist; see `herd secgroup list`\n");
  });
});
