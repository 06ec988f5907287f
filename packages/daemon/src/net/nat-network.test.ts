/**
 * A nat network end to end, in four namespaces standing in for machines: "host" runs herd's
 * bridge, nftables and dnsmasq; "guest" and "peer" stand in for VMs, attached to the bridge by
 * veth pairs as a tap would attach them; "internet" sits behind the host's uplink and runs a web
 * server that reports the address a request came from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { dnsmasqArgv, listDnsmasq, reloadDnsmasq, runningDnsmasq, startDnsmasq, stopDnsmasq, writeLeases, type DnsmasqLease } from './dnsmasq.js';
import { bridgeName, tapName } from './link-names.js';
import { enableForwarding, ensureBridge } from './links.js';
import type { NetExec } from './net-exec.js';
import {
  applyTable,
  applyTables,
  deleteTable,
  isolatedRuleset,
  isolatedTableName,
  listTables,
  natRuleset,
  natTableName,
  SECURITY_GROUP_TABLES,
  securityGroupRuleset,
  type SecurityGroupRule,
} from './nftables.js';
import { netnsUnavailable, TestNamespaces } from './testing/test-netns.js';

const netId = '5e1f0c2a-7b3d-4c8e-9f10-a2b3c4d5e6f7';
const nicId = 'c0ffee00-1234-4abc-8def-001122334455';
const bridge = bridgeName(netId);
const guestPort = tapName(nicId);
const peerPort = 'ht-peer';
const cidr = '10.50.0.0/24';
const gateway = '10.50.0.1';
const guestMac = '52:54:00:50:00:32';
const guestIp = '10.50.0.50';
const peerIp = '10.50.0.60';
const uplink = '198.51.100.1';
const server = '198.51.100.2';
const domain = 'lab.herd';

describe('a nat network in network namespaces', async () => {
  const skip = await netnsUnavailable();
  const spaces = new TestNamespaces();
  const ns = { host: '', guest: '', peer: '', internet: '' };
  let host: NetExec;
  let root = '';
  let dir = '';
  let pidfile = '';
  const servers: ChildProcess[] = [];

  /** Starts a busybox httpd inside `netns`, serving `www` on `port`. */
  async function serve(netns: string, port: number, www: string): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', netns, 'busybox', 'httpd', '-f', '-p', String(port), '-h', www], { stdio: 'ignore' });
    servers.push(child);
    for (let i = 0; i < 50; i++) {
      if ((await get(netns, '127.0.0.1', port, '/', 1)) !== undefined) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`httpd on port ${port} in ${netns} did not start`);
  }

  /** An HTTP GET from inside `netns` (busybox nc: busybox wget crashes here); the body, or undefined when it failed or timed out. */
  async function get(netns: string, address: string, port: number, path: string, timeoutS = 1): Promise<string | undefined> {
    const r = await run('ip', ['netns', 'exec', netns, 'busybox', 'nc', '-w', String(timeoutS), address, String(port)], {
      input: `GET ${path} HTTP/1.0\r\n\r\n`,
      allowFailure: true,
      timeoutMs: (timeoutS + 5) * 1000,
    });
    const body = r.stdout.split('\r\n\r\n')[1];
    return r.code === 0 && r.stdout.startsWith('HTTP/1.') ? body?.trim() : undefined;
  }

  async function lookup(netns: string, name: string): Promise<string | undefined> {
    const r = await run('ip', ['netns', 'exec', netns, 'busybox', 'nslookup', name, gateway], { allowFailure: true, timeoutMs: 10_000 });
    // The server's own address comes first; the answer's follows the "Name:" line.
    return /Name:\s*\S+\s+Address:\s*([0-9.]+)/.exec(r.stdout)?.[1];
  }

  /** Asks for a lease from inside the guest the way a VM's DHCP client would, without configuring anything. */
  async function dhcp(): Promise<{ address: string | undefined; options: string }> {
    const r = await run('ip', ['netns', 'exec', ns.guest, 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-t', '3', '-T', '1', '-s', join(root, 'lease.sh')], { allowFailure: true, timeoutMs: 20_000 });
    const out = r.stdout + r.stderr;
    return { address: /lease of ([0-9.]+) obtained/.exec(out)?.[1], options: /^bound .*$/m.exec(out)?.[0] ?? '' };
  }

  const secgroups = (rules: SecurityGroupRule[]) => applyTables(host, securityGroupRuleset([{ tap: guestPort, bridge, rules }]));

  beforeAll(async () => {
    if (skip) return;
    for (const role of ['host', 'guest', 'peer', 'internet'] as const) ns[role] = await spaces.add(role);
    host = spaces.exec(ns.host);

    await ensureBridge(host, bridge, { address: `${gateway}/24` });
    await spaces.veth(ns.host, guestPort, ns.guest, 'eth0');
    await spaces.veth(ns.host, peerPort, ns.peer, 'eth0');
    for (const port of [guestPort, peerPort]) await spaces.ip(ns.host, 'link', 'set', 'dev', port, 'master', bridge, 'up');
    await spaces.ip(ns.guest, 'link', 'set', 'dev', 'eth0', 'address', guestMac, 'up');
    await spaces.ip(ns.peer, 'addr', 'add', `${peerIp}/24`, 'dev', 'eth0');
    await spaces.ip(ns.peer, 'link', 'set', 'dev', 'eth0', 'up');

    await spaces.veth(ns.host, 'up0', ns.internet, 'up0');
    await spaces.ip(ns.host, 'addr', 'add', `${uplink}/24`, 'dev', 'up0');
    await spaces.ip(ns.host, 'link', 'set', 'dev', 'up0', 'up');
    await spaces.ip(ns.internet, 'addr', 'add', `${server}/24`, 'dev', 'up0');
    await spaces.ip(ns.internet, 'link', 'set', 'dev', 'up0', 'up');
    await enableForwarding(host);

    root = await mkdtemp(join(tmpdir(), 'herd-natnet-'));
    await chmod(root, 0o755);
    dir = join(root, 'networks', netId);
    await mkdir(dir, { recursive: true });
    pidfile = join(dir, 'dnsmasq.pid');
    await writeFile(join(root, 'lease.sh'), '#!/bin/sh\n[ "$1" = bound ] && echo "bound ip=$ip mask=$subnet router=$router dns=$dns domain=$domain"\nexit 0\n', { mode: 0o755 });
    const www = join(root, 'www');
    await mkdir(join(www, 'cgi-bin'), { recursive: true });
    await writeFile(join(www, 'index.html'), 'hello\n');
    await writeFile(join(www, 'cgi-bin', 'whoami'), '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n', { mode: 0o755 });
    await serve(ns.internet, 8080, www);
    await serve(ns.guest, 7001, www);
    await serve(ns.guest, 7002, www);
  });

  async function cleanUp(): Promise<void> {
    for (const s of servers.splice(0)) {
      s.kill();
      if (s.exitCode === null && s.signalCode === null) await new Promise((r) => s.once('exit', r));
    }
    for (const d of listDnsmasq()) if (d.networkId === netId) await stopDnsmasq(d.pid);
    await spaces.removeAll();
    if (root) await rm(root, { recursive: true, force: true });
  }
  afterAll(cleanUp);

  it.skipIf(skip)('a guest gets its fixed address by MAC from dnsmasq, with route and DNS server', async () => {
    const leases: DnsmasqLease[] = [{ mac: guestMac, ip: guestIp, name: 'web' }];
    await writeLeases(dir, leases);
    const argv = dnsmasqArgv({ networkId: netId, bridge, gateway, prefixLength: 24, dhcpRange: { start: '10.50.0.100', end: '10.50.0.199' }, domain, router: true, dir });
    await startDnsmasq(host, argv, pidfile);
    const lease = await dhcp();
    expect(lease.address).toBe(guestIp);
    expect(lease.options).toBe(`bound ip=${guestIp} mask=255.255.255.0 router=${gateway} dns=${gateway} domain=${domain}`);
    // udhcpc only reported the lease; configure it as the guest's DHCP client script would.
    await spaces.ip(ns.guest, 'addr', 'add', `${guestIp}/24`, 'dev', 'eth0');
    await spaces.ip(ns.guest, 'route', 'add', 'default', 'via', gateway);
  });

  it.skipIf(skip)('VM names resolve through dnsmasq, with and without the domain, and new ones after a reload', async () => {
    expect(await lookup(ns.guest, 'web')).toBe(guestIp);
    expect(await lookup(ns.guest, `web.${domain}`)).toBe(guestIp);
    expect(await lookup(ns.guest, 'db')).toBeUndefined();
    await writeLeases(dir, [
      { mac: guestMac, ip: guestIp, name: 'web' },
      { mac: '52:54:00:50:00:3c', ip: peerIp, name: 'db' },
    ]);
    reloadDnsmasq(runningDnsmasq(pidfile, netId)!);
    await new Promise((r) => setTimeout(r, 200));
    expect(await lookup(ns.guest, `db.${domain}`)).toBe(peerIp);
  });

  it.skipIf(skip)('without the nat ruleset, the internet cannot answer a guest', async () => {
    expect(await get(ns.guest, server, 8080, '/cgi-bin/whoami')).toBeUndefined();
  });

  it.skipIf(skip)("with it, a guest reaches the internet, which sees the host's uplink address", async () => {
    await applyTable(host, 'ip', natTableName(bridge), natRuleset({ bridge, cidr }));
    expect(await get(ns.guest, server, 8080, '/cgi-bin/whoami')).toMatch(new RegExp(`^(::ffff:)?\\[?(::ffff:)?${uplink.replaceAll('.', '\\.')}\\]?$`));
    // Guests still reach each other across the bridge.
    expect(await get(ns.peer, guestIp, 7001, '/')).toBe('hello');
  });

  it.skipIf(skip)('nothing from the internet gets in to a guest, even with a route to it', async () => {
    await spaces.ip(ns.internet, 'route', 'add', cidr, 'via', uplink);
    expect(await get(ns.internet, guestIp, 7001, '/')).toBeUndefined();
  });

  it.skipIf(skip)('an isolated network routes nothing out, yet its guests still reach each other and dnsmasq', async () => {
    await deleteTable(host, 'ip', natTableName(bridge));
    await applyTable(host, 'inet', isolatedTableName(bridge), isolatedRuleset({ bridge, cidr }));
    try {
      expect(await get(ns.guest, server, 8080, '/cgi-bin/whoami')).toBeUndefined();
      expect(await lookup(ns.guest, 'web')).toBe(guestIp);
      expect(await get(ns.peer, guestIp, 7001, '/')).toBe('hello');
    } finally {
      await deleteTable(host, 'inet', isolatedTableName(bridge));
      await applyTable(host, 'ip', natTableName(bridge), natRuleset({ bridge, cidr }));
    }
  });

  it.skipIf(skip)('a security group drops TCP to the guest unless a rule allows it; replies, DHCP and DNS still pass', async () => {
    expect(await get(ns.host, guestIp, 7001, '/')).toBe('hello');
    await secgroups([{ direction: 'ingress', protocol: 'tcp', portFrom: 7002 }]);
    // From the host itself (bridge output hook) and from another guest on the bridge (forward hook).
    for (const from of [ns.host, ns.peer]) {
      expect(await get(from, guestIp, 7001, '/')).toBeUndefined();
      expect(await get(from, guestIp, 7002, '/')).toBe('hello');
    }
    // Egress is not filtered, and replies to the guest's own connections are let back in.
    expect(await get(ns.guest, server, 8080, '/cgi-bin/whoami')).toContain(uplink);
    expect((await dhcp()).address).toBe(guestIp);
    expect(await lookup(ns.guest, 'web')).toBe(guestIp);
  });

  it.skipIf(skip)('adding a rule swaps the ruleset atomically; a ruleset nft rejects leaves the old one in force', async () => {
    const [bridgeTable, inetTable] = securityGroupRuleset([{ tap: guestPort, bridge, rules: [{ direction: 'ingress', protocol: 'tcp', portFrom: 7001 }] }]);
    await expect(applyTables(host, [{ ...bridgeTable!, body: `${bridgeTable!.body}\tchain broken {\n\t\tnot a rule\n\t}\n` }, inetTable!])).rejects.toThrow(/syntax error/);
    expect(await get(ns.host, guestIp, 7001, '/')).toBeUndefined();
    expect(await get(ns.host, guestIp, 7002, '/')).toBe('hello');

    await secgroups([
      { direction: 'ingress', protocol: 'tcp', portFrom: 7002 },
      { direction: 'ingress', protocol: 'tcp', portFrom: 7001, remoteCidr: `${peerIp}/32` },
    ]);
    expect(await get(ns.host, guestIp, 7001, '/')).toBeUndefined();
    expect(await get(ns.peer, guestIp, 7001, '/')).toBe('hello');
    await secgroups([{ direction: 'ingress', protocol: 'tcp', portFrom: 7001, portTo: 7002 }]);
    expect(await get(ns.host, guestIp, 7001, '/')).toBe('hello');
  });

  it.skipIf(skip)('egress rules limit what the guest may open, and answers to allowed inbound still leave', async () => {
    await secgroups([
      { direction: 'ingress', protocol: 'tcp', portFrom: 7001 },
      { direction: 'egress', protocol: 'tcp', portFrom: 8080, remoteCidr: '198.51.100.0/24' },
      { direction: 'egress', protocol: 'udp', portFrom: 53, remoteCidr: `${gateway}/32` },
    ]);
    expect(await get(ns.guest, server, 8080, '/cgi-bin/whoami')).toContain(uplink);
    expect(await lookup(ns.guest, 'web')).toBe(guestIp);
    expect(await get(ns.host, guestIp, 7001, '/')).toBe('hello');
    expect((await dhcp()).address).toBe(guestIp);
    await secgroups([
      { direction: 'ingress', protocol: 'tcp', portFrom: 7001 },
      { direction: 'egress', protocol: 'tcp', portFrom: 9999 },
    ]);
    expect(await get(ns.guest, server, 8080, '/cgi-bin/whoami')).toBeUndefined();
    expect(await get(ns.host, guestIp, 7001, '/')).toBe('hello');
  });

  it.skipIf(skip)('ports without groups are not filtered: an empty ruleset lets everything through again', async () => {
    await applyTables(host, securityGroupRuleset([]));
    expect(await get(ns.host, guestIp, 7002, '/')).toBe('hello');
    expect(await get(ns.guest, server, 8080, '/cgi-bin/whoami')).toContain(uplink);
    for (const t of SECURITY_GROUP_TABLES) await deleteTable(host, t.family, t.name);
    expect((await listTables(host, 'herd-')).map((t) => t.name)).toEqual([natTableName(bridge)]);
  });

  it.skipIf(skip)('leaves nothing behind: namespaces, processes, files', async () => {
    const pid = runningDnsmasq(pidfile, netId);
    expect(pid).toBeDefined();
    await cleanUp();
    expect(await spaces.remaining()).toEqual([]);
    expect(listDnsmasq().filter((d) => d.networkId === netId)).toEqual([]);
    expect(servers).toEqual([]);
    await expect(stat(root)).rejects.toThrow(/ENOENT/);
  });
});
