/**
 * Security groups as nftables rules: stateful allow-lists per VM NIC, matched by tap name.
 * Inbound traffic to a guest is dropped unless an ingress rule allows it; outbound is allowed
 * unless the NIC has egress rules, and then only what they allow. Replies to allowed traffic
 * pass both ways, and ARP and DHCP always pass so a guest can get its address. NICs without
 * groups are not filtered at all.
 *
 * Why two tables. Only the bridge family sees which port (tap) a frame enters or leaves by, but
 * conntrack in the bridge hooks needs nf_conntrack_bridge (CONFIG_NF_CONNTRACK_BRIDGE), which
 * kernels are often built without; nft then refuses any `ct` expression in a bridge table
 * ("Could not process rule: Protocol error"). What every kernel with br_netfilter has: bridged
 * IPv4/IPv6 frames pass the IP hooks, where conntrack tracks them (herd's bridges turn this on
 * per bridge; `ensureBridgeNetfilter` for others). So table `inet herd-secgroups` copies the
 * conntrack state into two bits of the packet mark on the way in (prerouting, forward, output run
 * before the bridge's forward, input and output hooks), and table `bridge herd-secgroups` decides
 * per tap, reading those bits. The bits are cleared again on packets that leave by a
 * non-bridge interface, and only packets of the listed bridges get them, so the mark the rest of
 * the host sees is unchanged, except while a guest's packet is routed (a host with fwmark
 * policy routing must leave these two bits alone).
 *
 * IPv6: herd's networks are IPv4; rules with a remote CIDR are IPv4 rules, and a filtered guest
 * gets no IPv6 in (no NDP either) unless a rule allows all traffic.
 */
import { checkIpv4Network } from './ipv4.js';
import { checkLinkName } from './link-names.js';
import { bodyOf, quoteIfname, type NftFamily, type NftTable } from './nft-syntax.js';

/** The two tables of security groups, for `deleteTable` or a sweep to leave alone. */
export const SECURITY_GROUP_TABLES: readonly { readonly family: NftFamily; readonly name: string }[] = [
  { family: 'bridge', name: 'herd-secgroups' },
  { family: 'inet', name: 'herd-secgroups' },
];

/** Mark bit: conntrack saw this packet as part of (or related to) a connection it allowed already. */
export const CT_ESTABLISHED_MARK = 0x08000000;
/** Mark bit: conntrack found this packet invalid (for example a TCP segment outside the window). */
export const CT_INVALID_MARK = 0x10000000;

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const BOTH = CT_ESTABLISHED_MARK | CT_INVALID_MARK;

/** An allow rule of a security group. */
export interface SecurityGroupRule {
  /** `ingress`: traffic to the guest; `egress`: traffic from it. */
  readonly direction: 'ingress' | 'egress';
  readonly protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  /** Destination port (tcp, udp): the guest's for ingress, the remote's for egress. */
  readonly portFrom?: number;
  /** Last port of a range starting at `portFrom`. */
  readonly portTo?: number;
  /** IPv4 network of the other side; anywhere when unset. */
  readonly remoteCidr?: string;
}

/** One filtered NIC: its tap, the bridge the tap is a port of, and the rules of all its groups. */
export interface SecurityGroupPort {
  readonly tap: string;
  readonly bridge: string;
  readonly rules: readonly SecurityGroupRule[];
}

/** The match part of one rule, e.g. `ip saddr 10.0.0.0/8 tcp dport 22-23`; '' matches everything. */
export function ruleMatch(rule: SecurityGroupRule): string {
  const parts: string[] = [];
  if (rule.remoteCidr !== undefined) parts.push(`ip ${rule.direction === 'ingress' ? 'saddr' : 'daddr'} ${checkIpv4Network(rule.remoteCidr, 'remote')}`);
  const ports = portMatch(rule);
  if (rule.protocol === 'tcp' || rule.protocol === 'udp') parts.push(ports === undefined ? `meta l4proto ${rule.protocol}` : `${rule.protocol} dport ${ports}`);
  else if (ports !== undefined) throw new RangeError(`protocol ${rule.protocol} has no ports; give tcp or udp for a rule with ports`);
  else if (rule.protocol === 'icmp') parts.push('meta l4proto icmp');
  return parts.join(' ');
}

function portMatch(rule: SecurityGroupRule): string | undefined {
  const { portFrom: from, portTo: to } = rule;
  if (from === undefined) {
    if (to !== undefined) throw new RangeError(`portTo ${to} needs a portFrom`);
    return undefined;
  }
  for (const p of [from, to]) if (p !== undefined && !(Number.isInteger(p) && p >= 1 && p <= 65535)) throw new RangeError(`port ${p} is out of range: give 1 to 65535`);
  if (to === undefined || to === from) return String(from);
  if (to < from) throw new RangeError(`port range ${from}-${to} ends before it starts`);
  return `${from}-${to}`;
}

/** The rules of one direction's per-tap chain, ending in its verdict for what no rule allowed. */
function portChain(name: string, always: readonly string[], rules: readonly SecurityGroupRule[]): string[] {
  const allowed = [...new Set(rules.map(ruleMatch))].map((m) => (m === '' ? 'return' : `${m} return`));
  // `return`, not `accept`: an accept here would end the base chain, and traffic between two
  // filtered guests must pass the sender's egress chain and then the receiver's ingress chain.
  const lines = [
    ...always,
    `meta mark & ${hex(CT_INVALID_MARK)} == ${hex(CT_INVALID_MARK)} drop`,
    `meta mark & ${hex(CT_ESTABLISHED_MARK)} == ${hex(CT_ESTABLISHED_MARK)} return`,
    ...allowed,
    'drop',
  ];
  return [`chain ${name} {`, ...lines.map((l) => `\t${l}`), '}'];
}

function vmap(key: 'iifname' | 'oifname', entries: readonly [tap: string, chain: string][]): string[] {
  return entries.length === 0 ? [] : [`\t${key} vmap { ${entries.map(([tap, chain]) => `${quoteIfname(tap)} : jump ${chain}`).join(', ')} }`];
}

/**
 * The two tables of security groups, for `applyTables` (one transaction, so rules never vanish
 * in between): `bridge herd-secgroups` with a chain per filtered tap and direction, and
 * `inet herd-secgroups` feeding it conntrack state (see the module comment). `ports` lists only
 * NICs that have groups; with none, both tables come out empty. The taps need not exist yet, so
 * a NIC's rules can be in place before its VM starts. Each bridge listed must pass bridged
 * traffic to the IP hooks (herd's own do; `ensureBridgeNetfilter` for others), or replies to a
 * filtered guest are dropped. Throws RangeError on a bad name, port or CIDR, or a tap listed
 * twice. Pure.
 */
export function securityGroupRuleset(ports: readonly SecurityGroupPort[]): NftTable[] {
  const sorted = [...ports].sort((a, b) => (a.tap < b.tap ? -1 : a.tap > b.tap ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.tap === sorted[i - 1]!.tap) throw new RangeError(`tap ${sorted[i]!.tap} is listed twice; merge its rules into one entry`);
  const to: [string, string][] = [];
  const from: [string, string][] = [];
  const chains: string[] = [];
  for (const p of sorted) {
    checkLinkName(p.tap);
    checkLinkName(p.bridge);
    to.push([p.tap, `to-${p.tap}`]);
    chains.push(...portChain(`to-${p.tap}`, ['ether type arp return', 'udp sport 67 udp dport 68 return'], p.rules.filter((r) => r.direction === 'ingress')));
    const egress = p.rules.filter((r) => r.direction === 'egress');
    if (egress.length === 0) continue;
    from.push([p.tap, `from-${p.tap}`]);
    chains.push(...portChain(`from-${p.tap}`, ['ether type arp return', 'udp sport 68 udp dport 67 return'], egress));
  }
  const bridgeBody =
    sorted.length === 0
      ? ''
      : bodyOf([
          // Priority 0: after br_netfilter (priority -1 in forward) has run the IP hooks that set the marks.
          'chain forward {',
          '\ttype filter hook forward priority 0; policy accept;',
          ...vmap('iifname', from),
          ...vmap('oifname', to),
          '}',
          'chain input {',
          '\ttype filter hook input priority 0; policy accept;',
          ...vmap('iifname', from),
          '}',
          'chain output {',
          '\ttype filter hook output priority 0; policy accept;',
          ...vmap('oifname', to),
          '}',
          ...chains,
        ]);
  return [
    { family: 'bridge', name: 'herd-secgroups', body: bridgeBody },
    { family: 'inet', name: 'herd-secgroups', body: conntrackMarkBody([...new Set(sorted.map((p) => p.bridge))].sort()) },
  ];
}

/** Chains copying conntrack state into the mark for traffic of `bridges` (see the module comment). */
function conntrackMarkBody(bridges: readonly string[]): string {
  if (bridges.length === 0) return '';
  const set = `{ ${bridges.map(quoteIfname).join(', ')} }`;
  const mark = (key: string) => [
    `\t${key} ${set} ct state established,related meta mark set meta mark | ${hex(CT_ESTABLISHED_MARK)}`,
    `\t${key} ${set} ct state invalid meta mark set meta mark | ${hex(CT_INVALID_MARK)}`,
  ];
  // mangle (-150): after conntrack (-200) has looked the packet up.
  return bodyOf([
    'chain prerouting {',
    '\ttype filter hook prerouting priority mangle; policy accept;',
    ...mark('iifname'),
    '}',
    'chain forward {',
    '\ttype filter hook forward priority mangle; policy accept;',
    ...mark('oifname'),
    '}',
    'chain output {',
    '\ttype filter hook output priority mangle; policy accept;',
    ...mark('oifname'),
    '}',
    'chain postrouting {',
    '\ttype filter hook postrouting priority mangle; policy accept;',
    `\toifname != ${set} meta mark & ${hex(BOTH)} != 0 meta mark set meta mark & ${hex(~BOTH >>> 0)}`,
    '}',
  ]);
}
