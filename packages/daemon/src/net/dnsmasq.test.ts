import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processState } from '../host/proc.js';
import {
  dnsmasqArgv,
  dnsmasqNetworkOf,
  hostsDhcpText,
  hostsText,
  isDnsmasqCmdlineOf,
  listDnsmasq,
  reloadDnsmasq,
  runningDnsmasq,
  startDnsmasq,
  stopDnsmasq,
  writeLeases,
  type DnsmasqSpec,
} from './dnsmasq.js';
import { ensureBridge } from './links.js';
import type { NetExec } from './net-exec.js';
import { netnsUnavailable, TestNamespaces } from './testing/test-netns.js';

const netId = '0b7e6a52-3c1d-4e8f-9a2b-5c6d7e8f9a0b';
const otherId = '9f8e7d6c-5b4a-4321-8fed-cba987654321';
const spec: DnsmasqSpec = {
  networkId: netId,
  bridge: 'hb-0b7e6a52',
  gateway: '10.40.0.1',
  prefixLength: 24,
  dhcpRange: { start: '10.40.0.100', end: '10.40.0.199' },
  domain: 'lab.herd',
  router: true,
  dir: '/var/lib/herd/networks/0b7e6a52-3c1d-4e8f-9a2b-5c6d7e8f9a0b',
};

describe('dnsmasq command line', () => {
  it('serves DHCP and DNS on the bridge only, from files in the network directory', () => {
    const d = spec.dir;
    expect(dnsmasqArgv(spec)).toEqual([
      '--conf-file=/dev/null',
      `--pid-file=${d}/dnsmasq.pid`,
      `--tag-if=set:herd-network-${netId}`,
      '--bind-interfaces',
      '--interface=hb-0b7e6a52',
      '--except-interface=lo',
      '--listen-address=10.40.0.1',
      '--dhcp-range=10.40.0.100,10.40.0.199,255.255.255.0,1h',
      `--dhcp-hostsfile=${d}/hosts.dhcp`,
      `--addn-hosts=${d}/hosts`,
      '--domain=lab.herd',
      '--local=/lab.herd/',
      '--expand-hosts',
      `--dhcp-leasefile=${d}/leases`,
      '--dhcp-authoritative',
      '--no-hosts',
    ]);
  });

  it('gives isolated networks no default route', () => {
    expect(dnsmasqArgv({ ...spec, router: false }).at(-1)).toBe('--dhcp-option=3');
    expect(dnsmasqArgv({ ...spec, router: true })).not.toContain('--dhcp-option=3');
  });

  it('refuses specs dnsmasq would misread or that cannot work', () => {
    expect(() => dnsmasqArgv({ ...spec, dhcpRange: { start: '10.40.1.100', end: '10.40.0.199' } })).toThrow('DHCP range start 10.40.1.100 is outside 10.40.0.1/24');
    expect(() => dnsmasqArgv({ ...spec, dhcpRange: { start: '10.40.0.199', end: '10.40.0.100' } })).toThrow(/ends before it starts/);
    expect(() => dnsmasqArgv({ ...spec, gateway: '10.40.0' })).toThrow(/gateway '10.40.0' is not an IPv4 address/);
    expect(() => dnsmasqArgv({ ...spec, dir: 'relative/dir' })).toThrow(/absolute path/);
    expect(() => dnsmasqArgv({ ...spec, dir: '/a,b' })).toThrow(/without commas/);
    expect(() => dnsmasqArgv({ ...spec, domain: 'lab..herd' })).toThrow(/not a DNS domain/);
    expect(() => dnsmasqArgv({ ...spec, networkId: 'net1' })).toThrow(/not a UUID/);
    expect(() => dnsmasqArgv({ ...spec, prefixLength: 31 })).toThrow(/prefix length 31/);
  });

  it('tells from a command line which network a dnsmasq serves', () => {
    const argv = ['dnsmasq', ...dnsmasqArgv(spec)];
    expect(dnsmasqNetworkOf(argv)).toBe(netId);
    expect(isDnsmasqCmdlineOf(argv, netId.toUpperCase())).toBe(true);
    expect(isDnsmasqCmdlineOf(argv, otherId)).toBe(false);
    expect(dnsmasqNetworkOf(['/usr/sbin/dnsmasq', `--tag-if=set:herd-network-${netId}`])).toBe(netId);
    // Another program carrying the same text, or an operator's own dnsmasq, is not herd's.
    expect(dnsmasqNetworkOf(['sh', `--tag-if=set:herd-network-${netId}`])).toBeUndefined();
    expect(dnsmasqNetworkOf(['dnsmasq', '--conf-file=/etc/dnsmasq.conf'])).toBeUndefined();
    expect(dnsmasqNetworkOf([])).toBeUndefined();
  });
});

describe('dnsmasq hosts files', () => {
  const leases = [
    { mac: '52:54:00:AA:BB:01', ip: '10.40.0.10', name: 'web' },
    { mac: '52:54:00:aa:bb:02', ip: '10.40.0.11', name: 'db-1' },
  ];

  it('writes fixed leases by MAC and names by address', () => {
    expect(hostsDhcpText(leases)).toBe('52:54:00:aa:bb:01,10.40.0.10,web\n52:54:00:aa:bb:02,10.40.0.11,db-1\n');
    expect(hostsText(leases)).toBe('10.40.0.10 web\n10.40.0.11 db-1\n');
    expect(hostsDhcpText([])).toBe('');
  });

  it('refuses malformed or clashing leases', () => {
    expect(() => hostsDhcpText([{ mac: '52:54:00:aa:bb', ip: '10.40.0.10', name: 'web' }])).toThrow(/not a MAC address/);
    expect(() => hostsDhcpText([{ mac: '52:54:00:aa:bb:01', ip: '10.40.0.10', name: 'web,1' }])).toThrow(/cannot be a host name/);
    expect(() => hostsText([{ mac: '52:54:00:aa:bb:01', ip: '10.40.0.1000', name: 'web' }])).toThrow(/not an IPv4 address/);
    expect(() => hostsDhcpText([leases[0]!, { ...leases[1]!, ip: '10.40.0.10' }])).toThrow('10.40.0.10 has two leases; each MAC and address may have one');
    expect(() => hostsDhcpText([leases[0]!, { ...leases[1]!, mac: '52:54:00:aa:bb:01' }])).toThrow(/has two leases/);
  });

  it('replaces both files atomically, readable by the unprivileged dnsmasq', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-dnsmasq-'));
    try {
      await writeLeases(dir, leases);
      await writeLeases(dir, leases.slice(1));
      expect(await readFile(join(dir, 'hosts.dhcp'), 'utf8')).toBe('52:54:00:aa:bb:02,10.40.0.11,db-1\n');
      expect(await readFile(join(dir, 'hosts'), 'utf8')).toBe('10.40.0.11 db-1\n');
      expect((await stat(join(dir, 'hosts'))).mode & 0o777).toBe(0o644);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('dnsmasq in a network namespace', async () => {
  const skip = await netnsUnavailable();
  const spaces = new TestNamespaces();
  let exec: NetExec;
  let root = '';
  let dir = '';
  let pidfile = '';
  let argv: string[] = [];
  const started: number[] = [];

  beforeAll(async () => {
    if (skip) return;
    exec = spaces.exec(await spaces.add('dns'));
    await ensureBridge(exec, spec.bridge, { address: '10.40.0.1/24' });
    root = await mkdtemp(join(tmpdir(), 'herd-dnsmasq-'));
    await chmod(root, 0o755);
    dir = join(root, netId);
    await mkdir(dir);
    pidfile = join(dir, 'dnsmasq.pid');
    argv = dnsmasqArgv({ ...spec, dir });
    await writeLeases(dir, [{ mac: '52:54:00:00:00:01', ip: '10.40.0.10', name: 'web' }]);
  });
  afterAll(async () => {
    for (const pid of started) await stopDnsmasq(pid);
    await spaces.removeAll();
    if (root) await rm(root, { recursive: true, force: true });
    expect(await spaces.remaining()).toEqual([]);
    expect(listDnsmasq().filter((d) => d.networkId === netId)).toEqual([]);
  });

  it.skipIf(skip)('starts dnsmasq detached, inside the namespace, and finds it by pidfile and in /proc', async () => {
    const pid = await startDnsmasq(exec, argv, pidfile);
    started.push(pid);
    expect(runningDnsmasq(pidfile, netId)).toBe(pid);
    expect(listDnsmasq()).toContainEqual({ pid, networkId: netId });
    // In the test's namespace, not the host's.
    const { readlink } = await import('node:fs/promises');
    expect(await readlink(`/proc/${pid}/ns/net`)).not.toBe(await readlink('/proc/self/ns/net'));
  });

  it.skipIf(skip)('is found again after a daemon restart, from nothing but the pidfile and the network id', async () => {
    const pid = Number((await readFile(pidfile, 'utf8')).trim());
    expect(runningDnsmasq(pidfile, netId)).toBe(pid);
    expect(runningDnsmasq(pidfile, otherId)).toBeUndefined();
    expect(runningDnsmasq(join(dir, 'missing.pid'), netId)).toBeUndefined();
    // A stale pidfile naming a live process that is not this dnsmasq (pids are reused).
    const stale = join(dir, 'stale.pid');
    await writeFile(stale, `${process.pid}\n`);
    expect(runningDnsmasq(stale, netId)).toBeUndefined();
    reloadDnsmasq(pid);
    expect(runningDnsmasq(pidfile, netId)).toBe(pid);
  });

  it.skipIf(skip)('refuses to start a second one for the network, with dnsmasq\'s reason', async () => {
    await expect(startDnsmasq(exec, argv, pidfile)).rejects.toThrow(/Address already in use/);
  });

  it.skipIf(skip)('stops it; a zombie awaiting init counts as stopped, and stopping again is fine', async () => {
    const pid = runningDnsmasq(pidfile, netId)!;
    await stopDnsmasq(pid);
    expect(processState(pid)).not.toBe('alive');
    expect(runningDnsmasq(pidfile, netId)).toBeUndefined();
    expect(listDnsmasq().filter((d) => d.networkId === netId)).toEqual([]);
    await stopDnsmasq(pid);
    // Never signals what is not a herd dnsmasq.
    await stopDnsmasq(process.pid);
  });

  it.skipIf(skip)('refuses a directory dnsmasq could not read once it drops to user nobody', async () => {
    await chmod(root, 0o700);
    try {
      await expect(startDnsmasq(exec, argv, pidfile)).rejects.toThrow(new RegExp(`cannot reach ${dir}: ${root} has mode 0700; let others search it`));
    } finally {
      await chmod(root, 0o755);
    }
  });
});
