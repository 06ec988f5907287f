/**
 * The nftables rules of herd's own networks, one table per network so that each is replaced or
 * removed on its own. Pure: the text is applied with `applyTable` (nftables.ts).
 *
 * Bridged traffic between two guests of a network also passes the IP forward hook, with the
 * bridge as both input and output interface: herd's bridges hand bridged frames to the IP hooks
 * for conntrack (links.ts), so each forward chain first lets such traffic through, or it would
 * cut guests off from each other.
 */
import { checkIpv4Network } from './ipv4.js';
import { bodyOf, checkTableName, quoteIfname } from './nft-syntax.js';

/** What the ruleset of a network is built from. */
export interface NetworkRulesetSpec {
  /** The network's bridge. */
  readonly bridge: string;
  /** The network's IPv4 network, `10.0.0.0/24`. */
  readonly cidr: string;
}

/** The table (family `ip`) of nat network on `bridge`: `herd-nat-<bridge>`. Pure. */
export function natTableName(bridge: string): string {
  return checkTableName(`herd-nat-${bridge}`);
}

/** The table (family `inet`) of isolated network on `bridge`: `herd-iso-<bridge>`. Pure. */
export function isolatedTableName(bridge: string): string {
  return checkTableName(`herd-iso-${bridge}`);
}

/**
 * The body of table `ip herd-nat-<bridge>` ({@link natTableName}): the network's guests reach
 * everything the host can reach, leaving with the host's address (masquerade); from outside,
 * only replies get in. Guests' forged source addresses are dropped, not masqueraded. Needs
 * IPv4 forwarding on (`enableForwarding`). Throws RangeError on a bad bridge name or CIDR. Pure.
 *
 * Only drops of herd's own decide here: an `accept` ends this table's chain, not the packet's
 * path, so a host firewall whose forward policy is drop still drops the guests' traffic.
 */
export function natRuleset(spec: NetworkRulesetSpec): string {
  const br = quoteIfname(spec.bridge);
  const cidr = checkIpv4Network(spec.cidr, 'network');
  return bodyOf([
    'chain postrouting {',
    '\ttype nat hook postrouting priority srcnat; policy accept;',
    // `ip daddr !=`: bridged traffic between guests passes postrouting too (see above).
    `\tip saddr ${cidr} ip daddr != ${cidr} oifname != ${br} masquerade`,
    '}',
    'chain forward {',
    '\ttype filter hook forward priority filter; policy accept;',
    `\tiifname ${br} oifname ${br} accept`,
    `\tiifname ${br} ip saddr ${cidr} accept`,
    `\toifname ${br} ip daddr ${cidr} ct state established,related accept`,
    `\tiifname ${br} drop`,
    `\toifname ${br} drop`,
    '}',
  ]);
}

/**
 * The body of table `inet herd-iso-<bridge>` ({@link isolatedTableName}): nothing is routed from
 * the bridge or to it, IPv4 or IPv6. Guests still reach each other (layer 2) and the host's
 * address on the bridge, where dnsmasq serves DHCP and DNS. Only the bridge decides; `cidr` is
 * checked so both network builders take the same spec. Throws RangeError on bad input. Pure.
 */
export function isolatedRuleset(spec: NetworkRulesetSpec): string {
  const br = quoteIfname(spec.bridge);
  checkIpv4Network(spec.cidr, 'network');
  return bodyOf([
    'chain forward {',
    '\ttype filter hook forward priority filter; policy accept;',
    `\tiifname ${br} oifname ${br} accept`,
    `\tiifname ${br} drop`,
    `\toifname ${br} drop`,
    '}',
  ]);
}

/** What the overlay table of a vxlan network is built from. */
export interface OverlayRulesetSpec {
  /** The network's VXLAN device, a port of its bridge. */
  readonly vxlan: string;
  /** The MAC of the network's bridge, the same on every host (see vxlan.ts). */
  readonly gatewayMac: string;
}

/** The table (family `bridge`) of the vxlan network whose bridge is `bridge`: `herd-vx-<bridge>`. Pure. */
export function overlayTableName(bridge: string): string {
  return checkTableName(`herd-vx-${bridge}`);
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * The body of table `bridge herd-vx-<bridge>` ({@link overlayTableName}): no frame from the
 * gateway's MAC crosses the overlay, either way. Every host's bridge has the network's gateway
 * address and MAC, so each host answers its own guests' ARP, DHCP and DNS; without this table
 * each broadcast would get an answer from every host. The kernel does not stop those: a bridge
 * that receives a frame from its own MAC on a port only logs "received packet on hx-... with own
 * address as source address" and forwards it (seen on Linux 6.18; vxlan-network.test.ts checks
 * the table makes the difference). Throws RangeError on a bad name or MAC. Pure.
 */
export function overlayRuleset(spec: OverlayRulesetSpec): string {
  const vx = quoteIfname(spec.vxlan);
  if (!MAC.test(spec.gatewayMac)) throw new RangeError(`'${spec.gatewayMac}' is not a MAC address in lower case such as 0a:12:34:56:78:9a`);
  const mac = spec.gatewayMac;
  return bodyOf([
    // Prerouting: before the bridge learns or delivers anything (and before that log line).
    'chain prerouting {',
    '\ttype filter hook prerouting priority filter; policy accept;',
    `\tiifname ${vx} ether saddr ${mac} drop`,
    '}',
    'chain forward {',
    '\ttype filter hook forward priority filter; policy accept;',
    `\toifname ${vx} ether saddr ${mac} drop`,
    '}',
    // What this host's own stack (ARP replies, dnsmasq) sends out by the bridge.
    'chain output {',
    '\ttype filter hook output priority filter; policy accept;',
    `\toifname ${vx} ether saddr ${mac} drop`,
    '}',
  ]);
}
