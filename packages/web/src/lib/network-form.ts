/**
 * What the network and security group forms send, from what was typed. Only what the form's
 * shape decides is checked here (which fields a type takes, how a port range is written); the
 * rest is the daemon's to judge, and its message goes next to the field it names.
 */
import type { NetworkCreate, SecurityGroupRule, SecurityGroupRuleAdd } from '@herd/api';

/** The inputs of the create-network form, as typed. */
export interface NetworkFormValues {
  readonly name: string;
  readonly type: NetworkCreate['type'];
  readonly cidr: string;
  readonly dhcpStart: string;
  readonly dhcpEnd: string;
  readonly bridge: string;
  readonly vlan: string;
  readonly mtu: string;
}

/** A request to send, or the input that is wrong and why. */
export type Checked<T> = { readonly body: T } | { readonly field: string; readonly message: string };

/** The create-network request for `v`: the fields of its type only, empty ones left out. */
export function networkCreateBody(v: NetworkFormValues): Checked<NetworkCreate> {
  const vlan = optionalInt(v.vlan);
  if (Number.isNaN(vlan)) return { field: 'vlan', message: `'${v.vlan}' is not a VLAN id; type a whole number from 1 to 4094, or nothing` };
  const mtu = optionalInt(v.mtu);
  if (Number.isNaN(mtu)) return { field: 'mtu', message: `'${v.mtu}' is not an MTU; type a whole number such as 1500, or nothing` };
  const common = { name: v.name.trim(), type: v.type, ...(vlan !== undefined ? { vlan } : {}), ...(mtu !== undefined ? { mtu } : {}) };
  if (v.type === 'bridged') return { body: { ...common, bridge: v.bridge.trim() } };
  const start = v.dhcpStart.trim();
  const end = v.dhcpEnd.trim();
  if (!start !== !end) return { field: start ? 'dhcpEnd' : 'dhcpStart', message: 'give both ends of the DHCP range, or neither for the default' };
  return {
    body: {
      ...common,
      ...(v.cidr.trim() ? { cidr: v.cidr.trim() } : {}),
      ...(start ? { dhcpRange: { start, end } } : {}),
    },
  };
}

/** The inputs of the add-rule form, as typed. */
export interface RuleFormValues {
  readonly direction: SecurityGroupRuleAdd['direction'];
  readonly protocol: SecurityGroupRuleAdd['protocol'];
  /** `80`, `8000-8100`, or empty for every port. */
  readonly ports: string;
  /** A CIDR, or empty for anywhere. */
  readonly remote: string;
}

/** The add-rule request for `v`. */
export function ruleAddBody(v: RuleFormValues): Checked<SecurityGroupRuleAdd> {
  const ports = v.ports.trim();
  const remote = v.remote.trim();
  const base = { direction: v.direction, protocol: v.protocol, ...(remote ? { remoteCidr: remote } : {}) };
  if (!ports) return { body: base };
  if (v.protocol !== 'tcp' && v.protocol !== 'udp') return { field: 'ports', message: `${v.protocol} has no ports; leave ports empty or choose tcp or udp` };
  const m = /^(\d{1,5})\s*(?:-\s*(\d{1,5}))?$/.exec(ports);
  const from = Number(m?.[1]);
  const to = m?.[2] === undefined ? from : Number(m[2]);
  if (!m || from < 1 || to > 65535 || to < from) return { field: 'ports', message: `'${ports}' is not a port (1-65535) or a range such as 8000-8100` };
  return { body: { ...base, portFrom: from, portTo: to } };
}

/** A rule's ports for people: `80`, `8000-8100`, or `all`. */
export function formatPorts(r: Pick<SecurityGroupRule, 'portFrom' | 'portTo' | 'protocol'>): string {
  if (r.portFrom === null) return r.protocol === 'tcp' || r.protocol === 'udp' ? 'all' : '—';
  return r.portTo === null || r.portTo === r.portFrom ? String(r.portFrom) : `${r.portFrom}-${r.portTo}`;
}

/** A rule in words, for labels: "ingress tcp 80 from anywhere". */
export function describeRule(r: SecurityGroupRule): string {
  const ports = r.portFrom === null ? '' : ` ${formatPorts(r)}`;
  const where = r.remoteCidr ?? 'anywhere';
  return `${r.direction} ${r.protocol}${ports} ${r.direction === 'ingress' ? 'from' : 'to'} ${where}`;
}

function optionalInt(text: string): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  return /^\d+$/.test(t) ? Number(t) : NaN;
}
