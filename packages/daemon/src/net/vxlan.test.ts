import { describe, expect, it } from 'vitest';
import { dnsmasqArgv } from './dnsmasq.js';
import { parseIpAddrShow, type LinkState } from './link-state.js';
import { bridgeCommands } from './links.js';
import { overlayRuleset, overlayTableName } from './network-rulesets.js';
import { canonicalUnderlay, floodListCommands, overlayGatewayMac, parseFloodPeers, vxlanCommands } from './vxlan.js';

// `ip -j -d addr show dev vx0` (iproute2 6.1, Linux 6.18), trimmed: a VXLAN port of bridge br0.
const vxlanJson = `[{"ifindex":4,"ifname":"hx-1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"master":"hb-1","operstate":"UNKNOWN","address":"6A:40:4E:EA:BC:E7","linkinfo":{"info_kind":"vxlan","info_data":{"id":42,"local":"10.99.0.1","port_range":{"low":0,"high":0},"port":4789,"learning":false,"ttl":0,"df":"unset","ageing":300,"udp_csum":true},"info_slave_kind":"bridge","info_slave_data":{"state":"forwarding","learning":true,"flood":true}},"addr_info":[]}]`;
// `bridge -j fdb show dev vx0`: the bridge's own entry for the port, then two flood-list entries.
const fdbJson = `[{"mac":"6a:40:4e:ea:bc:e7","flags":[],"master":"br0","state":"permanent"},{"mac":"00:00:00:00:00:00","dst":"10.99.0.2","flags":["self"],"state":"permanent"},{"mac":"00:00:00:00:00:00","dst":"10.99.0.3","flags":["self"],"state":"permanent"}]`;

const argvs = (cmds: { command: string; args: readonly string[] }[]) => cmds.map((c) => [c.command, ...c.args].join(' '));
const vxState = (over: Partial<LinkState> = {}, vxlan: Partial<NonNullable<LinkState['vxlan']>> = {}): LinkState => ({
  ...parseIpAddrShow(vxlanJson)[0]!,
  ...over,
  vxlan: { vni: 42, local: '10.99.0.1', port: 4789, learning: false, ...vxlan },
});
const spec = { vni: 42, local: '10.99.0.1', bridge: 'hb-1', mtu: 1450 };

describe('VXLAN device plans', () => {
  it('decodes what the kernel reports of a VXLAN device', () => {
    const [link] = parseIpAddrShow(vxlanJson);
    expect(link).toMatchObject({ name: 'hx-1', kind: 'vxlan', mtu: 1450, up: true, master: 'hb-1', mac: '6a:40:4e:ea:bc:e7' });
    expect(link!.vxlan).toEqual({ vni: 42, local: '10.99.0.1', port: 4789, learning: false });
    expect(parseIpAddrShow(vxlanJson.replace('"local":"10.99.0.1",', ''))[0]!.vxlan!.local).toBeUndefined();
  });

  it('makes a missing device without learning, then joins it to the bridge with the MTU, up', () => {
    expect(argvs(vxlanCommands('hx-1', undefined, spec))).toEqual([
      'ip link add hx-1 type vxlan id 42 dstport 4789 local 10.99.0.1 nolearning',
      'ip link set dev hx-1 mtu 1450 master hb-1 up',
    ]);
    expect(argvs(vxlanCommands('hx-1', undefined, { vni: 7, bridge: 'hb-1', mtu: 1450 }))[0]).toBe('ip link add hx-1 type vxlan id 7 dstport 4789 nolearning');
  });

  it('leaves a device that is as wanted alone, and fixes what can change in place', () => {
    expect(vxlanCommands('hx-1', vxState(), spec)).toEqual([]);
    expect(argvs(vxlanCommands('hx-1', vxState({ master: undefined, up: false, mtu: 1500 }), spec))).toEqual(['ip link set dev hx-1 mtu 1450 master hb-1 up']);
  });

  it('makes a device again when its VNI, source, port or learning differ', () => {
    for (const differs of [{ vni: 43 }, { local: '10.99.0.9' }, { local: undefined }, { port: 8472 }, { learning: true }]) {
      expect(argvs(vxlanCommands('hx-1', vxState({}, differs), spec)), JSON.stringify(differs)).toEqual([
        'ip link del dev hx-1',
        'ip link add hx-1 type vxlan id 42 dstport 4789 local 10.99.0.1 nolearning',
        'ip link set dev hx-1 mtu 1450 master hb-1 up',
      ]);
    }
  });

  it('refuses bad input and another kind of link', () => {
    expect(() => vxlanCommands('hx-1', undefined, { ...spec, vni: 0 })).toThrow(/VNI 0 is out of range: give 1 to 16777215/);
    expect(() => vxlanCommands('hx-1', undefined, { ...spec, vni: 16_777_216 })).toThrow(RangeError);
    expect(() => vxlanCommands('hx-1', undefined, { ...spec, local: 'host.example' })).toThrow(/not an IPv4 or IPv6 address/);
    expect(() => vxlanCommands('hx-1', undefined, { ...spec, mtu: 20 })).toThrow(/MTU 20/);
    expect(() => vxlanCommands('hx-1', { ...vxState(), kind: 'bridge', vxlan: undefined }, spec)).toThrow(/exists and is a bridge link, not a VXLAN device/);
  });
});

describe('flood lists', () => {
  it('reads the peers from the all-zeros entries only', () => {
    expect(parseFloodPeers(fdbJson)).toEqual(['10.99.0.2', '10.99.0.3']);
    expect(parseFloodPeers('')).toEqual([]);
    expect(parseFloodPeers('[]')).toEqual([]);
    expect(() => parseFloodPeers('[{"dst":"10.0.0.1"}]')).toThrow(/unexpected/);
  });

  it('removes departed peers and appends missing ones, nothing else', () => {
    expect(argvs(floodListCommands('hx-1', ['10.99.0.2', '10.99.0.3'], ['10.99.0.3', '10.99.0.4']))).toEqual([
      'bridge fdb del 00:00:00:00:00:00 dev hx-1 dst 10.99.0.2',
      'bridge fdb append 00:00:00:00:00:00 dev hx-1 dst 10.99.0.4',
    ]);
    expect(floodListCommands('hx-1', ['10.99.0.2'], ['10.99.0.2', '10.99.0.2'])).toEqual([]);
    expect(argvs(floodListCommands('hx-1', ['10.99.0.2'], []))).toEqual(['bridge fdb del 00:00:00:00:00:00 dev hx-1 dst 10.99.0.2']);
  });

  it('compares IPv6 peers in the form iproute2 prints', () => {
    expect(canonicalUnderlay('FD00:0:0::0001')).toBe('fd00::1');
    expect(floodListCommands('hx-1', ['fd00::1'], ['FD00:0:0::1'])).toEqual([]);
    expect(() => canonicalUnderlay('10.0.0.256')).toThrow(RangeError);
  });
});

describe('the gateway of a vxlan network', () => {
  it('has a locally administered unicast MAC derived from the network id', () => {
    const mac = overlayGatewayMac('5E1F0C2A-7b3d-4c8e-9f10-a2b3c4d5e6f7');
    expect(mac).toBe('0a:5e:1f:0c:2a:7b');
    expect(parseInt(mac.slice(0, 2), 16) & 3).toBe(2);
    expect(() => overlayGatewayMac('net1')).toThrow(/not a UUID/);
  });

  it("is set on the bridge, and set again when someone changes it", () => {
    expect(argvs(bridgeCommands('hb-1', undefined, { mtu: 1450, mac: '0a:5e:1f:0c:2a:7b', address: '10.0.0.1/24' }))).toEqual([
      'ip link add name hb-1 type bridge stp_state 0 forward_delay 0 nf_call_iptables 1 nf_call_ip6tables 1',
      'ip link set dev hb-1 mtu 1450',
      'ip link set dev hb-1 address 0a:5e:1f:0c:2a:7b',
      'ip addr replace 10.0.0.1/24 dev hb-1',
      'ip link set dev hb-1 up',
    ]);
    const bridge: LinkState = {
      name: 'hb-1',
      kind: 'bridge',
      tunType: undefined,
      mtu: 1450,
      up: true,
      master: undefined,
      mac: '0a:5e:1f:0c:2a:7b',
      ipv4: ['10.0.0.1/24'],
      bridge: { stpState: 0, forwardDelay: 0, vlanFiltering: false, vlanDefaultPvid: undefined, nfCallIptables: true, nfCallIp6tables: true },
    };
    expect(bridgeCommands('hb-1', bridge, { mac: '0a:5e:1f:0c:2a:7b' })).toEqual([]);
    expect(argvs(bridgeCommands('hb-1', { ...bridge, mac: '6a:40:4e:ea:bc:e7' }, { mac: '0a:5e:1f:0c:2a:7b' }))).toEqual(['ip link set dev hb-1 address 0a:5e:1f:0c:2a:7b']);
    expect(() => bridgeCommands('hb-1', undefined, { mac: '01:00:5e:00:00:01' })).toThrow(/not a unicast MAC/);
  });

  it('keeps its frames off the overlay, both ways', () => {
    expect(overlayTableName('hb-1')).toBe('herd-vx-hb-1');
    expect(overlayRuleset({ vxlan: 'hx-1', gatewayMac: '0a:5e:1f:0c:2a:7b' })).toBe(
      [
        'chain prerouting {',
        '\ttype filter hook prerouting priority filter; policy accept;',
        '\tiifname "hx-1" ether saddr 0a:5e:1f:0c:2a:7b drop',
        '}',
        'chain forward {',
        '\ttype filter hook forward priority filter; policy accept;',
        '\toifname "hx-1" ether saddr 0a:5e:1f:0c:2a:7b drop',
        '}',
        'chain output {',
        '\ttype filter hook output priority filter; policy accept;',
        '\toifname "hx-1" ether saddr 0a:5e:1f:0c:2a:7b drop',
        '}',
      ]
        .map((l) => `\t${l}\n`)
        .join(''),
    );
    expect(() => overlayRuleset({ vxlan: 'hx-1', gatewayMac: '0A:5E:1F:0C:2A:7B;' })).toThrow(RangeError);
  });

  it('has a dnsmasq that answers only clients with a fixed lease, and tells them the MTU', () => {
    const argv = dnsmasqArgv({
      networkId: '5e1f0c2a-7b3d-4c8e-9f10-a2b3c4d5e6f7',
      bridge: 'hb-5e1f0c2a',
      gateway: '10.60.0.1',
      prefixLength: 24,
      dhcpRange: { start: '10.60.0.2', end: '10.60.0.254' },
      domain: 'overlay.herd',
      router: false,
      dir: '/var/lib/herd/networks/5e1f0c2a-7b3d-4c8e-9f10-a2b3c4d5e6f7',
      knownOnly: true,
      mtu: 1450,
    });
    expect(argv).toContain('--dhcp-range=10.60.0.0,static,255.255.255.0,1h');
    expect(argv).toContain('--dhcp-ignore=tag:!known');
    expect(argv).toContain('--dhcp-option=26,1450');
    expect(argv.filter((a) => a.startsWith('--dhcp-range='))).toHaveLength(1);
  });
});
