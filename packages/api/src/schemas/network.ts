/** Networks, VM NICs and security groups. */
import { Type, type Static } from '@sinclair/typebox';
import { Name, Nullable, Timestamp, Uuid } from './common.js';

/**
 * Network types: `nat` (bridge + masquerade + DHCP/DNS), `isolated` (no route out), `bridged` (an
 * existing host bridge), `vxlan` (an isolated network spanning every host of the cluster).
 */
export const networkTypes = ['nat', 'isolated', 'bridged', 'vxlan'] as const;

/** Highest VXLAN network identifier (24 bits). */
export const maxVni = 16_777_215;

const Ipv4 = Type.String({ pattern: '^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$' });
const Cidr = Type.String({ pattern: '^[0-9.]+/[0-9]{1,2}$', description: 'an IPv4 network, e.g. 10.0.0.0/24' });
const Mac = Type.String({ pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$' });
const LinkName = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,15}$', description: 'a Linux interface name' });

/** A network. */
export const Network = Type.Object(
  {
    id: Uuid,
    name: Name,
    type: Type.Union(networkTypes.map((t) => Type.Literal(t))),
    cidr: Nullable(Type.String()),
    gateway: Nullable(Type.String({ description: "the bridge's address: router, DHCP and DNS server of the network" })),
    dhcpRange: Nullable(Type.Object({ start: Type.String(), end: Type.String() }, { description: 'addresses herd hands out' })),
    bridge: Type.String({ description: 'the Linux bridge VMs are attached to' }),
    vlan: Nullable(Type.Integer()),
    vni: Nullable(Type.Integer({ description: 'vxlan: the VXLAN network identifier its frames carry between hosts' })),
    mtu: Type.Integer(),
    domain: Nullable(Type.String({ description: 'DNS domain of VM names in the network' })),
    nics: Type.Integer({ description: 'NICs attached' }),
    status: Type.Object({
      state: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('error')]),
      error: Nullable(Type.String()),
    }),
    createdAt: Timestamp,
  },
  { $id: 'Network' },
);
/** A network. */
export type Network = Static<typeof Network>;

/** Body of `POST /networks`. */
export const NetworkCreate = Type.Object(
  {
    name: Name,
    type: Type.Union(networkTypes.map((t) => Type.Literal(t))),
    cidr: Type.Optional(Cidr),
    dhcpRange: Type.Optional(Type.Object({ start: Ipv4, end: Ipv4 }, { additionalProperties: false })),
    bridge: Type.Optional(LinkName),
    vlan: Type.Optional(Type.Integer({ minimum: 1, maximum: 4094, description: 'tag the ports of VMs on this network' })),
    vni: Type.Optional(Type.Integer({ minimum: 1, maximum: maxVni, description: 'vxlan: the VXLAN network identifier (default: a free one)' })),
    mtu: Type.Optional(Type.Integer({ minimum: 576, maximum: 9000, description: 'default 1500; 1450 on vxlan networks, whose frames grow by 50 bytes on the underlay' })),
  },
  { additionalProperties: false, $id: 'NetworkCreate' },
);
/** Body of `POST /networks`. */
export type NetworkCreate = Static<typeof NetworkCreate>;

/** A VM's network interface. */
export const Nic = Type.Object(
  {
    id: Uuid,
    vm: Type.String(),
    network: Type.String(),
    device: Type.String({ description: 'QEMU device id' }),
    mac: Type.String(),
    ip: Nullable(Type.String({ description: 'the address herd gave it (a fixed DHCP lease); null on bridged networks' })),
    tap: Type.String({ description: 'the host tap device' }),
    securityGroups: Type.Array(Type.String()),
    createdAt: Timestamp,
  },
  { $id: 'Nic' },
);
/** A NIC. */
export type Nic = Static<typeof Nic>;

/** A NIC to add: on VM create, or to a VM (hot-plugged when it runs). */
export const NicAdd = Type.Object(
  {
    network: Type.String({ minLength: 1, maxLength: 100 }),
    mac: Type.Optional(Mac),
    ip: Type.Optional(Ipv4),
    securityGroups: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 16 })),
  },
  { additionalProperties: false },
);
/** A NIC to add. */
export type NicAdd = Static<typeof NicAdd>;

/** Body of `PATCH /vms/{id}/nics/{nic}`. */
export const NicUpdate = Type.Object(
  { securityGroups: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 16 }) },
  { additionalProperties: false, $id: 'NicUpdate' },
);
/** Body of a NIC update. */
export type NicUpdate = Static<typeof NicUpdate>;

/** Path parameters of one NIC of one VM (its device id, MAC or id). */
export const NicRef = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }), nic: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

/** A security group rule: an allow rule. */
export const SecurityGroupRule = Type.Object(
  {
    id: Uuid,
    direction: Type.Union([Type.Literal('ingress'), Type.Literal('egress')]),
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('icmp'), Type.Literal('any')]),
    portFrom: Nullable(Type.Integer()),
    portTo: Nullable(Type.Integer()),
    remoteCidr: Nullable(Type.String()),
  },
  { $id: 'SecurityGroupRule' },
);
/** A security group rule. */
export type SecurityGroupRule = Static<typeof SecurityGroupRule>;

/**
 * A security group: stateful allow rules for the NICs it is attached to. Inbound traffic is
 * denied unless an ingress rule allows it; outbound is allowed until the NIC's groups have an
 * egress rule, then only what egress rules allow. Replies to allowed connections always pass. A
 * NIC in no group is not filtered.
 */
export const SecurityGroup = Type.Object(
  {
    id: Uuid,
    name: Name,
    description: Type.String(),
    rules: Type.Array(SecurityGroupRule),
    nics: Type.Integer({ description: 'NICs it is attached to' }),
    createdAt: Timestamp,
  },
  { $id: 'SecurityGroup' },
);
/** A security group. */
export type SecurityGroup = Static<typeof SecurityGroup>;

/** Body of `POST /security-groups`. */
export const SecurityGroupCreate = Type.Object(
  { name: Name, description: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false, $id: 'SecurityGroupCreate' },
);
/** Body of `POST /security-groups`. */
export type SecurityGroupCreate = Static<typeof SecurityGroupCreate>;

/** Body of `POST /security-groups/{id}/rules`. */
export const SecurityGroupRuleAdd = Type.Object(
  {
    direction: Type.Union([Type.Literal('ingress'), Type.Literal('egress')]),
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('icmp'), Type.Literal('any')]),
    portFrom: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    portTo: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    remoteCidr: Type.Optional(Cidr),
  },
  { additionalProperties: false, $id: 'SecurityGroupRuleAdd' },
);
/** Body of a rule add. */
export type SecurityGroupRuleAdd = Static<typeof SecurityGroupRuleAdd>;

/** Path parameters of one rule of one group. */
export const RuleRef = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }), rule: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
