import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { isLinkMissing, parseBridgeVlanShow, parseIpAddrShow, parseLinkNames, type LinkState } from './link-state.js';
import { bridgeCommands, deleteLink, enableForwarding, ensureBridge, ensureBridgeNetfilter, ensureTap, linkExists, listLinks, portVlanCommands, tapCommands } from './links.js';
import type { NetExec } from './net-exec.js';
import { netnsUnavailable, TestNamespaces } from './testing/test-netns.js';

// Trimmed from `ip -j -d addr show` (iproute2 6.1) for a bridge with an address and a tap port of it.
const bridgeJson = `[{"ifindex":9,"ifname":"br9","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1500,"operstate":"DOWN","linkinfo":{"info_kind":"bridge","info_data":{"forward_delay":0,"hello_time":200,"stp_state":0,"vlan_filtering":0,"nf_call_iptables":0,"nf_call_ip6tables":0,"nf_call_arptables":0}},"addr_info":[{"family":"inet","local":"10.1.0.1","prefixlen":24,"scope":"global","label":"br9"},{"family":"inet6","local":"fe80::c81d:3aff:feff:4688","prefixlen":64,"scope":"link"}]}]`;
const tapJson = `[{"ifindex":10,"ifname":"tp9","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1500,"master":"br9","operstate":"DOWN","linkinfo":{"info_kind":"tun","info_data":{"type":"tap","pi":false,"vnet_hdr":true,"multi_queue":false,"persist":true},"info_slave_kind":"bridge"},"addr_info":[]}]`;

const bridgeState = (over: Partial<LinkState> = {}, options: Partial<NonNullable<LinkState['bridge']>> = {}): LinkState => ({
  name: 'hb-1',
  kind: 'bridge',
  tunType: undefined,
  mtu: 1500,
  up: true,
  master: undefined,
  ipv4: ['10.0.0.1/24'],
  bridge: { stpState: 0, forwardDelay: 0, vlanFiltering: false, vlanDefaultPvid: undefined, nfCallIptables: true, nfCallIp6tables: true, ...options },
  ...over,
});
const tapState = (over: Partial<LinkState> = {}): LinkState => ({ name: 'ht-1', kind: 'tun', tunType: 'tap', mtu: 1500, up: true, master: 'hb-1', ipv4: [], bridge: undefined, ...over });
const argvs = (cmds: { command: string; args: readonly string[] }[]) => cmds.map((c) => [c.command, ...c.args].join(' '));

describe('iproute2 output', () => {
  it('decodes a bridge and a tap', () => {
    expect(parseIpAddrShow(bridgeJson)).toEqual([
      {
        name: 'br9',
        kind: 'bridge',
        tunType: undefined,
        mtu: 1500,
        up: true,
        master: undefined,
        ipv4: ['10.1.0.1/24'],
        bridge: { stpState: 0, forwardDelay: 0, vlanFiltering: false, vlanDefaultPvid: undefined, nfCallIptables: false, nfCallIp6tables: false },
      },
    ]);
    expect(parseIpAddrShow(tapJson)).toEqual([{ name: 'tp9', kind: 'tun', tunType: 'tap', mtu: 1500, up: true, master: 'br9', ipv4: [], bridge: undefined }]);
    // iproute2 6.1 adds "user" for a tap made with `ip tuntap add ... user UID`.
    expect(parseIpAddrShow(tapJson.replace('"persist":true', '"persist":true,"user":1000000001'))[0]!.tunUser).toBe(1_000_000_001);
  });

  it('rejects output without the fields it reads', () => {
    expect(() => parseIpAddrShow('[{"ifname":"x"}]')).toThrow(/without the expected fields/);
    expect(() => parseIpAddrShow('{}')).toThrow(/list of links/);
  });

  it('decodes link names and VLAN membership', () => {
    expect(parseLinkNames('[{"ifindex":1,"ifname":"lo","flags":[]},{"ifindex":2,"ifname":"hb-1","flags":[]}]')).toEqual(['lo', 'hb-1']);
    const vlans = '[{"ifname":"ht-1","vlans":[{"vlan":1,"flags":["PVID","Egress Untagged"]},{"vlan":10,"vlanEnd":20}]}]';
    expect(parseBridgeVlanShow(vlans, 'ht-1')).toEqual([
      { vid: 1, vidEnd: 1, pvid: true, untagged: true },
      { vid: 10, vidEnd: 20, pvid: false, untagged: false },
    ]);
    expect(parseBridgeVlanShow('', 'ht-1')).toEqual([]);
    expect(parseBridgeVlanShow('[]', 'ht-1')).toEqual([]);
  });

  it('recognises a missing link in both spellings iproute2 uses', () => {
    expect(isLinkMissing('Device "nope" does not exist.\n')).toBe(true);
    expect(isLinkMissing('Cannot find device "nope"\n')).toBe(true);
    expect(isLinkMissing('RTNETLINK answers: Operation not permitted')).toBe(false);
  });
});

describe('bridge plans', () => {
  it('makes a missing bridge with STP off, no forward delay, conntrack on, then address and up', () => {
    expect(argvs(bridgeCommands('hb-1', undefined, { mtu: 9000, address: '10.0.0.1/24' }))).toEqual([
      'ip link add name hb-1 type bridge stp_state 0 forward_delay 0 nf_call_iptables 1 nf_call_ip6tables 1',
      'ip link set dev hb-1 mtu 9000',
      'ip addr replace 10.0.0.1/24 dev hb-1',
      'ip link set dev hb-1 up',
    ]);
    expect(argvs(bridgeCommands('hb-1', undefined, { vlanFiltering: true, pvid: 100 }))[0]).toBe(
      'ip link add name hb-1 type bridge stp_state 0 forward_delay 0 nf_call_iptables 1 nf_call_ip6tables 1 vlan_filtering 1 vlan_default_pvid 100',
    );
  });

  it('changes nothing on a bridge that is as wanted', () => {
    expect(bridgeCommands('hb-1', bridgeState(), { mtu: 1500, address: '10.0.0.1/24', vlanFiltering: false })).toEqual([]);
    expect(bridgeCommands('hb-1', bridgeState(), {})).toEqual([]);
  });

  it('brings an existing bridge to the spec, replacing other addresses', () => {
    const current = bridgeState({ mtu: 1400, up: false, ipv4: ['10.9.0.1/24', '10.0.0.1/16'] }, { stpState: 1, forwardDelay: 1500, nfCallIp6tables: false });
    expect(argvs(bridgeCommands('hb-1', current, { mtu: 1500, address: '10.0.0.1/24', vlanFiltering: true }))).toEqual([
      'ip link set dev hb-1 type bridge stp_state 0',
      'ip link set dev hb-1 type bridge forward_delay 0 nf_call_ip6tables 1 vlan_filtering 1',
      'ip link set dev hb-1 mtu 1500',
      'ip addr replace 10.0.0.1/24 dev hb-1',
      'ip addr del 10.9.0.1/24 dev hb-1',
      'ip addr del 10.0.0.1/16 dev hb-1',
      'ip link set dev hb-1 up',
    ]);
    expect(argvs(bridgeCommands('hb-1', bridgeState({}, { vlanFiltering: true, vlanDefaultPvid: 1 }), { vlanFiltering: true, pvid: 7 }))).toEqual(['ip link set dev hb-1 type bridge vlan_default_pvid 7']);
  });

  it('refuses to take over another kind of link, and bad input', () => {
    expect(() => bridgeCommands('eth0', tapState({ name: 'eth0', kind: undefined, tunType: undefined }), {})).toThrow('eth0 exists and is a plain device, not a bridge');
    expect(() => bridgeCommands('hb-1', undefined, { address: '10.0.0.1' })).toThrow(/with a prefix/);
    expect(() => bridgeCommands('hb-1', undefined, { mtu: 10 })).toThrow(/MTU 10/);
    expect(() => bridgeCommands('hb-1', undefined, { pvid: 5 })).toThrow(/needs vlanFiltering/);
    expect(() => bridgeCommands('bad name', undefined, {})).toThrow(RangeError);
  });
});

describe('tap plans', () => {
  it('makes a missing tap with vnet_hdr, then joins the bridge, up', () => {
    expect(argvs(tapCommands('ht-1', undefined, { bridge: 'hb-1', mtu: 1500 }))).toEqual(['ip tuntap add dev ht-1 mode tap vnet_hdr', 'ip link set dev ht-1 mtu 1500 master hb-1 up']);
    expect(argvs(tapCommands('ht-1', undefined, { bridge: 'hb-1' }))).toEqual(['ip tuntap add dev ht-1 mode tap vnet_hdr', 'ip link set dev ht-1 master hb-1 up']);
  });

  it('changes only what differs', () => {
    expect(tapCommands('ht-1', tapState(), { bridge: 'hb-1', mtu: 1500 })).toEqual([]);
    expect(argvs(tapCommands('ht-1', tapState({ master: 'hb-2', up: false }), { bridge: 'hb-1' }))).toEqual(['ip link set dev ht-1 master hb-1 up']);
  });

  it('makes a tap its QEMU user may open, and makes again one of another user (or none)', () => {
    expect(argvs(tapCommands('ht-1', undefined, { bridge: 'hb-1', user: 1_000_000_003 }))).toEqual([
      'ip tuntap add dev ht-1 mode tap vnet_hdr user 1000000003',
      'ip link set dev ht-1 master hb-1 up',
    ]);
    expect(tapCommands('ht-1', tapState({ tunUser: 1_000_000_003 }), { bridge: 'hb-1', user: 1_000_000_003 })).toEqual([]);
    for (const other of [undefined, 1_000_000_004]) {
      expect(argvs(tapCommands('ht-1', tapState({ tunUser: other }), { bridge: 'hb-1', user: 1_000_000_003 }))).toEqual([
        'ip link del dev ht-1',
        'ip tuntap add dev ht-1 mode tap vnet_hdr user 1000000003',
        'ip link set dev ht-1 master hb-1 up',
      ]);
    }
    // Without a user (QEMU runs as root), whatever owner a tap has is fine.
    expect(tapCommands('ht-1', tapState({ tunUser: 1_000_000_004 }), { bridge: 'hb-1' })).toEqual([]);
    expect(() => tapCommands('ht-1', undefined, { bridge: 'hb-1', user: -1 })).toThrow(/uid -1/);
  });

  it('refuses a link of that name that is not a tap', () => {
    expect(() => tapCommands('ht-1', tapState({ tunType: 'tun' }), { bridge: 'hb-1' })).toThrow('ht-1 exists and is a tun (tun) link, not a tap');
    expect(() => tapCommands('ht-1', bridgeState({ name: 'ht-1' }), { bridge: 'hb-1' })).toThrow(/a bridge link, not a tap/);
    expect(() => tapCommands('ht-1', undefined, { bridge: 'hb-1', vlan: 4095 })).toThrow(/VLAN 4095/);
  });

  it('makes a port an access port of one VLAN, dropping the default VLAN 1', () => {
    const dflt = [{ vid: 1, vidEnd: 1, pvid: true, untagged: true }];
    expect(argvs(portVlanCommands('ht-1', dflt, 100))).toEqual(['bridge vlan del dev ht-1 vid 1', 'bridge vlan add dev ht-1 vid 100 pvid untagged']);
    expect(portVlanCommands('ht-1', [{ vid: 100, vidEnd: 100, pvid: true, untagged: true }], 100)).toEqual([]);
    expect(argvs(portVlanCommands('ht-1', [{ vid: 90, vidEnd: 110, pvid: false, untagged: false }], 100))).toEqual(['bridge vlan del dev ht-1 vid 90-110', 'bridge vlan add dev ht-1 vid 100 pvid untagged']);
  });
});

describe('links in a network namespace', async () => {
  const skip = await netnsUnavailable();
  const spaces = new TestNamespaces();
  let ns = '';
  let exec: NetExec;
  const show = async (name: string) => parseIpAddrShow((await exec.run('ip', ['-j', '-d', 'addr', 'show', 'dev', name])).stdout)[0]!;

  beforeAll(async () => {
    if (skip) return;
    ns = await spaces.add('links');
    exec = spaces.exec(ns);
  });
  afterAll(async () => {
    await spaces.removeAll();
    expect(await spaces.remaining()).toEqual([]);
  });

  it.skipIf(skip)('makes a bridge and two taps, and repeating that changes nothing', async () => {
    for (let i = 0; i < 2; i++) {
      await ensureBridge(exec, 'hb-test', { mtu: 1400, address: '10.20.0.1/24' });
      await ensureTap(exec, 'ht-test1', { bridge: 'hb-test', mtu: 1400 });
      await ensureTap(exec, 'ht-test2', { bridge: 'hb-test' });
    }
    const br = await show('hb-test');
    expect(br).toMatchObject({ kind: 'bridge', mtu: 1400, up: true, ipv4: ['10.20.0.1/24'] });
    expect(br.bridge).toMatchObject({ stpState: 0, forwardDelay: 0, nfCallIptables: true, nfCallIp6tables: true });
    expect(await show('ht-test1')).toMatchObject({ kind: 'tun', tunType: 'tap', master: 'hb-test', up: true, mtu: 1400 });
    expect(await show('ht-test2')).toMatchObject({ tunType: 'tap', master: 'hb-test', up: true });
    expect((await listLinks(exec, 'ht-')).sort()).toEqual(['ht-test1', 'ht-test2']);
    expect(await listLinks(exec, 'hb-')).toEqual(['hb-test']);
  });

  it.skipIf(skip)('brings an existing bridge to a new address and MTU', async () => {
    await exec.run('ip', ['link', 'set', 'dev', 'hb-test', 'down']);
    await exec.run('ip', ['link', 'set', 'dev', 'hb-test', 'type', 'bridge', 'forward_delay', '400']);
    await exec.run('ip', ['link', 'set', 'dev', 'hb-test', 'type', 'bridge', 'stp_state', '1']);
    await ensureBridge(exec, 'hb-test', { mtu: 1500, address: '10.21.0.1/24' });
    const br = await show('hb-test');
    expect(br).toMatchObject({ up: true, mtu: 1500, ipv4: ['10.21.0.1/24'] });
    expect(br.bridge).toMatchObject({ stpState: 0, forwardDelay: 0 });
  });

  it.skipIf(skip)('moves a tap to another bridge, and refuses a missing bridge or a non-tap', async () => {
    await ensureBridge(exec, 'hb-other', {});
    await ensureTap(exec, 'ht-test2', { bridge: 'hb-other' });
    expect((await show('ht-test2')).master).toBe('hb-other');
    await expect(ensureTap(exec, 'ht-test3', { bridge: 'hb-missing' })).rejects.toThrow('bridge hb-missing does not exist, so tap ht-test3 cannot join it');
    await expect(ensureTap(exec, 'hb-other', { bridge: 'hb-test' })).rejects.toThrow('hb-other exists and is a bridge link, not a tap');
    await expect(ensureBridge(exec, 'ht-test1', {})).rejects.toThrow('ht-test1 exists and is a tun link, not a bridge');
    await expect(ensureTap(exec, 'ht-test1', { bridge: 'hb-test', vlan: 10 })).rejects.toThrow(/does not filter VLANs/);
  });

  it.skipIf(skip)('turns on VLAN access ports where the kernel can, and says so where it cannot', async () => {
    const ok = await ensureBridge(exec, 'hb-vlan', { vlanFiltering: true, pvid: 10 }).then(
      () => true,
      (e: Error) => {
        // This kernel was built without CONFIG_BRIDGE_VLAN_FILTERING.
        expect(e.message).toMatch(/built without it \(CONFIG_BRIDGE_VLAN_FILTERING\)/);
        return false;
      },
    );
    if (!ok) return;
    await ensureTap(exec, 'ht-vlan', { bridge: 'hb-vlan', vlan: 10 });
    await ensureTap(exec, 'ht-vlan', { bridge: 'hb-vlan', vlan: 10 });
    const r = await exec.run('bridge', ['-j', 'vlan', 'show', 'dev', 'ht-vlan']);
    expect(parseBridgeVlanShow(r.stdout, 'ht-vlan')).toEqual([{ vid: 10, vidEnd: 10, pvid: true, untagged: true }]);
  });

  it.skipIf(skip)('turns on conntrack for an existing bridge herd does not own', async () => {
    await exec.run('ip', ['link', 'add', 'br-op', 'type', 'bridge']);
    await exec.run('ip', ['link', 'set', 'dev', 'br-op', 'type', 'bridge', 'nf_call_iptables', '0', 'nf_call_ip6tables', '0']);
    await ensureBridgeNetfilter(exec, 'br-op');
    await ensureBridgeNetfilter(exec, 'br-op');
    expect((await show('br-op')).bridge).toMatchObject({ nfCallIptables: true, nfCallIp6tables: true });
    await expect(ensureBridgeNetfilter(exec, 'br-none')).rejects.toThrow('bridge br-none does not exist');
  });

  it.skipIf(skip)('turns on forwarding in the namespace only', async () => {
    const hostBefore = (await run('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim();
    await enableForwarding(exec);
    await enableForwarding(exec);
    expect((await exec.run('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
    expect((await run('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe(hostBefore);
  });

  it.skipIf(skip)('removes links, and removing them again is fine', async () => {
    for (let i = 0; i < 2; i++) for (const l of ['ht-test1', 'ht-test2', 'hb-test', 'hb-other']) await deleteLink(exec, l);
    expect(await linkExists(exec, 'hb-test')).toBe(false);
    expect(await linkExists(exec, 'ht-test1')).toBe(false);
    expect(await linkExists(exec, 'lo')).toBe(true);
    expect(await listLinks(exec, 'h')).toEqual([]);
  });
});
