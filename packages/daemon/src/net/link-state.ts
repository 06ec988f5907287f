/**
 * What iproute2 reports about links, decoded where it enters: `ip -j -d addr show` for a link's
 * kind, state, master, MAC address, bridge and VXLAN options and IPv4 addresses, and
 * `bridge -j vlan show` for a bridge port's VLANs. Only the fields herd acts on are checked; iproute2 adds others freely. Pure.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Flag = Type.Integer({ minimum: 0 });

const IpLinkJson = Type.Object({
  ifname: Type.String(),
  mtu: Type.Integer(),
  flags: Type.Array(Type.String()),
  master: Type.Optional(Type.String()),
  address: Type.Optional(Type.String()),
  linkinfo: Type.Optional(
    Type.Object({
      info_kind: Type.Optional(Type.String()),
      info_data: Type.Optional(
        Type.Object({
          // bridge
          stp_state: Type.Optional(Flag),
          forward_delay: Type.Optional(Flag),
          vlan_filtering: Type.Optional(Flag),
          vlan_default_pvid: Type.Optional(Flag),
          nf_call_iptables: Type.Optional(Flag),
          nf_call_ip6tables: Type.Optional(Flag),
          // tun/tap; `user` only when the device has an owner (`ip tuntap add ... user UID`)
          type: Type.Optional(Type.String()),
          user: Type.Optional(Type.Integer()),
          // vxlan; `local` only when the device was given one
          id: Type.Optional(Type.Integer()),
          local: Type.Optional(Type.String()),
          port: Type.Optional(Type.Integer()),
          learning: Type.Optional(Type.Boolean()),
        }),
      ),
    }),
  ),
  addr_info: Type.Optional(Type.Array(Type.Object({ family: Type.String(), local: Type.String(), prefixlen: Type.Integer() }))),
});
type IpLinkJson = Static<typeof IpLinkJson>;

/** Bridge options herd sets, as the kernel reports them. */
export interface BridgeOptions {
  readonly stpState: number;
  /** Centiseconds. */
  readonly forwardDelay: number;
  readonly vlanFiltering: boolean;
  /** The VLAN of the bridge's own address and of new ports' untagged frames (reported only with VLAN filtering support). */
  readonly vlanDefaultPvid: number | undefined;
  /** Whether bridged IPv4 / IPv6 pass the IP hooks, where conntrack sees them. */
  readonly nfCallIptables: boolean;
  readonly nfCallIp6tables: boolean;
}

/** VXLAN options herd sets, as the kernel reports them. */
export interface VxlanOptions {
  readonly vni: number;
  /** The underlay source address, when one was set. */
  readonly local: string | undefined;
  /** UDP destination port. */
  readonly port: number;
  /** Whether the device learns remote MACs from received packets (herd turns it off). */
  readonly learning: boolean;
}

/** One link as `ip -j -d addr show` reports it. */
export interface LinkState {
  readonly name: string;
  /** `bridge`, `tun`, `veth`, ...; undefined for a plain device such as a NIC. */
  readonly kind: string | undefined;
  /** For a `tun` link: `tap` or `tun`. */
  readonly tunType: string | undefined;
  /** For a `tun` link with an owner: the uid that may open it without CAP_NET_ADMIN. */
  readonly tunUser?: number | undefined;
  readonly mtu: number;
  /** Administratively up (`ip link set up`), whether or not it has a carrier. */
  readonly up: boolean;
  /** The bridge it is a port of. */
  readonly master: string | undefined;
  /** Its MAC address (lower case), for links that have one. */
  readonly mac?: string | undefined;
  /** Its IPv4 addresses as `address/prefix`. */
  readonly ipv4: readonly string[];
  /** Set for bridges. */
  readonly bridge: BridgeOptions | undefined;
  /** Set for VXLAN devices. */
  readonly vxlan?: VxlanOptions | undefined;
}

/** Decodes the JSON of `ip -j -d addr show [dev NAME]`. Throws when it lacks the fields herd reads. Pure. */
export function parseIpAddrShow(stdout: string): LinkState[] {
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed)) throw new Error('ip -j addr show printed something other than a list of links');
  return parsed.map((raw) => {
    if (!Value.Check(IpLinkJson, raw)) throw new Error(`ip -j addr show printed a link without the expected fields: ${JSON.stringify(raw).slice(0, 200)}`);
    return toLinkState(raw);
  });
}

function toLinkState(l: IpLinkJson): LinkState {
  const kind = l.linkinfo?.info_kind;
  const data = l.linkinfo?.info_data ?? {};
  return {
    name: l.ifname,
    kind,
    tunType: kind === 'tun' ? data.type : undefined,
    tunUser: kind === 'tun' ? data.user : undefined,
    mtu: l.mtu,
    up: l.flags.includes('UP'),
    master: l.master,
    mac: l.address?.toLowerCase(),
    ipv4: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    bridge:
      kind === 'bridge'
        ? {
            stpState: data.stp_state ?? 0,
            forwardDelay: data.forward_delay ?? 0,
            vlanFiltering: data.vlan_filtering === 1,
            vlanDefaultPvid: data.vlan_default_pvid,
            nfCallIptables: data.nf_call_iptables === 1,
            nfCallIp6tables: data.nf_call_ip6tables === 1,
          }
        : undefined,
    vxlan: kind === 'vxlan' ? { vni: data.id ?? 0, local: data.local, port: data.port ?? 0, learning: data.learning ?? true } : undefined,
  };
}

const BridgeVlanJson = Type.Array(
  Type.Object({
    ifname: Type.String(),
    vlans: Type.Array(Type.Object({ vlan: Type.Integer(), vlanEnd: Type.Optional(Type.Integer()), flags: Type.Optional(Type.Array(Type.String())) })),
  }),
);

/** A VLAN (or range of them) a bridge port is a member of. */
export interface PortVlan {
  readonly vid: number;
  /** Last vid of a range, as `bridge vlan` prints ranges; equal to `vid` for one VLAN. */
  readonly vidEnd: number;
  /** Untagged frames arriving on the port go to this VLAN. */
  readonly pvid: boolean;
  /** Frames of this VLAN leave the port untagged. */
  readonly untagged: boolean;
}

/** Decodes the JSON of `bridge -j vlan show dev NAME`: the port's VLANs (none when filtering is off). Pure. */
export function parseBridgeVlanShow(stdout: string, port: string): PortVlan[] {
  // iproute2 prints nothing at all, not `[]`, for a port without VLANs on some versions.
  const parsed: unknown = stdout.trim() === '' ? [] : JSON.parse(stdout);
  if (!Value.Check(BridgeVlanJson, parsed)) throw new Error(`bridge -j vlan show printed something unexpected: ${stdout.slice(0, 200)}`);
  const entry = parsed.find((p) => p.ifname === port);
  return (entry?.vlans ?? []).map((v) => ({
    vid: v.vlan,
    vidEnd: v.vlanEnd ?? v.vlan,
    pvid: v.flags?.includes('PVID') ?? false,
    untagged: v.flags?.includes('Egress Untagged') ?? false,
  }));
}

const LinkNamesJson = Type.Array(Type.Object({ ifname: Type.String() }));

/** Decodes the names in the JSON of `ip -j link show`. Pure. */
export function parseLinkNames(stdout: string): string[] {
  const parsed: unknown = JSON.parse(stdout);
  if (!Value.Check(LinkNamesJson, parsed)) throw new Error('ip -j link show printed links without names');
  return parsed.map((l) => l.ifname);
}

/** Reports whether an `ip` or `bridge` command failed because the link it names does not exist. Pure. */
export function isLinkMissing(stderr: string): boolean {
  return /does not exist|Cannot find device/.test(stderr);
}
