import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleSecgroup } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const web = sampleSecgroup();
const [http, ssh] = web.rules;

describe('herd secgroup create|list|show|delete', () => {
  it('creates an empty group and says what that means', async () => {
    const created = sampleSecgroup({ name: 'db', description: 'databases', rules: [], nics: 0 });
    daemon = await FakeDaemon.start({ 'POST /api/v1/security-groups': (_q, res) => sendJson(res, 201, created) });
    const r = await runCli(['secgroup', 'create', 'db', '--description', 'databases'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/security-groups')[0]?.body).toEqual({ name: 'db', description: 'databases' });
    expect(r.stdout).toMatch(/^default:\s+inbound denied, outbound allowed/m);
    expect(r.stdout).toMatch(/\nno rules\n$/);
  });

  it('lists groups with their rule and NIC counts', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/security-groups': (_q, res) => sendJson(res, 200, [web, sampleSecgroup({ name: 'empty', description: '', rules: [], nics: 0 })]) });
    const r = await runCli(['secgroup', 'list'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(['NAME    RULES   NICS   DESCRIPTION', 'web         2      2   public web servers', 'empty       0      0   -', ''].join('\n'));
  });

  it('shows a group with its rules table', async () => {
    const group = sampleSecgroup({ rules: [...web.rules, { id: 'cc33dd44-ee55-4f66-8a77-8899aabbccdd', direction: 'egress', protocol: 'udp', portFrom: 8000, portTo: 8100, remoteCidr: null }] });
    daemon = await FakeDaemon.start({ 'GET /api/v1/security-groups/web': (_q, res) => sendJson(res, 200, group) });
    const r = await runCli(['secgroup', 'show', 'web'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^description:\s+public web servers$/m);
    expect(r.stdout).toMatch(/\n\nID\s+DIRECTION\s+PROTOCOL\s+PORTS\s+REMOTE\n/);
    expect(r.stdout).toMatch(new RegExp(`^${http!.id}\\s+ingress\\s+tcp\\s+80\\s+any$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${ssh!.id}\\s+ingress\\s+tcp\\s+22\\s+192\\.168\\.1\\.0/24$`, 'm'));
    expect(r.stdout).toMatch(/^cc33dd44-\S+\s+egress\s+udp\s+8000-8100\s+any$/m);
  });

  it('exits 3 for an unknown group', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/security-groups/nope': (_q, res) => sendError(res, 'not_found', { kind: 'secgroup', name: 'nope' }) });
    const r = await runCli(['secgroup', 'show', 'nope'], { url: daemon.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("herd: secgroup 'nope' does not exist; list them with `herd secgroup list`\n");
  });

  it('deletes a group', async () => {
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/security-groups/web': (_q, res) => sendJson(res, 200, web) });
    const r = await runCli(['secgroup', 'delete', 'web'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("secgroup 'web' deleted\n");
  });
});

describe('herd secgroup rule add|remove', () => {
  it('sends a port range and a remote network, and prints the group', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/security-groups/web/rules': (_q, res) => sendJson(res, 201, web) });
    const r = await runCli(['secgroup', 'rule', 'add', 'web', '--direction', 'ingress', '--protocol', 'tcp', '--port', '8000-8100', '--remote', '10.0.0.0/8'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/security-groups/web/rules')[0]?.body).toEqual({
      direction: 'ingress',
      protocol: 'tcp',
      portFrom: 8000,
      portTo: 8100,
      remoteCidr: '10.0.0.0/8',
    });
    expect(r.stdout).toMatch(/^ID\s+DIRECTION/m);
  });

  it('sends one port as a range of one, and no ports for icmp', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/security-groups/web/rules': (_q, res) => sendJson(res, 201, web) });
    await runCli(['secgroup', 'rule', 'add', 'web', '--direction', 'ingress', '--protocol', 'udp', '--port', '53'], { url: daemon.url });
    await runCli(['secgroup', 'rule', 'add', 'web', '--direction', 'egress', '--protocol', 'icmp'], { url: daemon.url });
    const bodies = daemon.calls('POST', '/api/v1/security-groups/web/rules').map((c) => c.body);
    expect(bodies).toEqual([
      { direction: 'ingress', protocol: 'udp', portFrom: 53, portTo: 53 },
      { direction: 'egress', protocol: 'icmp' },
    ]);
  });

  it.each([
    [['secgroup', 'rule', 'add', 'web', '--direction', 'ingress', '--protocol', 'icmp', '--port', '80'], /--port goes with --protocol tcp or udp/],
    [['secgroup', 'rule', 'add', 'web', '--direction', 'ingress', '--protocol', 'tcp', '--port', '100-90'], /ends before it starts/],
    [['secgroup', 'rule', 'add', 'web', '--direction', 'ingress', '--protocol', 'tcp', '--port', '70000'], /is not a port/],
    [['secgroup', 'rule', 'add', 'web', '--direction', 'in', '--protocol', 'tcp'], /Allowed choices are ingress, egress/],
    [['secgroup', 'rule', 'add', 'web', '--protocol', 'tcp'], /required option '--direction <direction>' not specified/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });

  it('exits 5 with the message of a rule the daemon refuses', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/security-groups/web/rules': (_q, res) => sendError(res, 'validation_failed', { field: 'remoteCidr', reason: "'10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?" }),
    });
    const r = await runCli(['secgroup', 'rule', 'add', 'web', '--direction', 'ingress', '--protocol', 'any', '--remote', '10.0.0.1/8'], { url: daemon.url });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe("herd: remoteCidr: '10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?\n");
  });

  it('removes a rule named by a unique prefix of its id', async () => {
    daemon = await FakeDaemon.start({
      'GET /api/v1/security-groups/web': (_q, res) => sendJson(res, 200, web),
      [`DELETE /api/v1/security-groups/web/rules/${ssh!.id}`]: (_q, res) => sendJson(res, 200, { ...web, rules: [http] }),
    });
    const r = await runCli(['secgroup', 'rule', 'remove', 'web', 'bb22'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`rule ${ssh!.id} removed from secgroup 'web'\n`);
  });

  it('sends a whole rule id without reading the group first', async () => {
    daemon = await FakeDaemon.start({ [`DELETE /api/v1/security-groups/web/rules/${http!.id}`]: (_q, res) => sendJson(res, 200, { ...web, rules: [ssh] }) });
    const r = await runCli(['secgroup', 'rule', 'remove', 'web', http!.id], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.requests).toHaveLength(1);
  });

  it('exits 2 for a prefix that names several rules', async () => {
    const twins = sampleSecgroup({ rules: [{ ...http!, id: 'ab000000-0000-4000-8000-000000000001' }, { ...ssh!, id: 'ab000000-0000-4000-8000-000000000002' }] });
    daemon = await FakeDaemon.start({ 'GET /api/v1/security-groups/web': (_q, res) => sendJson(res, 200, twins) });
    const r = await runCli(['secgroup', 'rule', 'remove', 'web', 'ab'], { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("herd: 'ab' is the start of 2 rule ids of secgroup 'web'; give more of it\n");
  });
});
