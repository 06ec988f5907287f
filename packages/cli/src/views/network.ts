/** How networks look in tables and `show` blocks. */
import type { Network } from '@herd/api';
import { renderDetails } from '../output/format.js';
import { paintState } from '../output/style.js';
import { renderTable, type Column } from '../output/table.js';
import { formatTime } from '../output/time.js';

const columns: readonly Column[] = [
  { header: 'NAME', shrink: true },
  { header: 'TYPE' },
  { header: 'CIDR' },
  { header: 'GATEWAY' },
  { header: 'BRIDGE' },
  { header: 'VNI', align: 'right' },
  { header: 'NICS', align: 'right' },
  { header: 'STATE' },
];

/** The `herd network list` table. */
export function networkTable(networks: readonly Network[], color: boolean, width?: number): string {
  const rows = networks.map((n) => [n.name, n.type, n.cidr ?? '-', n.gateway ?? '-', n.bridge, n.vni === null ? '-' : String(n.vni), String(n.nics), paintState(n.status.state, color)]);
  return renderTable(columns, rows, { maxWidth: width });
}

/** The `herd network show` block. */
export function networkDetails(n: Network, color: boolean): string {
  return renderDetails([
    ['name', n.name],
    ['id', n.id],
    ['type', describeType(n)],
    ['cidr', n.cidr ?? '-'],
    ['gateway', n.gateway ?? '-'],
    ['dhcp range', n.dhcpRange ? `${n.dhcpRange.start}-${n.dhcpRange.end}` : '-'],
    ['domain', n.domain ?? '-'],
    ['bridge', n.bridge],
    ['vlan', n.vlan === null ? '-' : String(n.vlan)],
    ...(n.type === 'vxlan' ? [['vni', String(n.vni)] as const] : []),
    ['mtu', String(n.mtu)],
    ['nics', String(n.nics)],
    ['state', paintState(n.status.state, color)],
    ...(n.status.error ? [['error', n.status.error] as const] : []),
    ['created', formatTime(n.createdAt)],
  ]);
}

function describeType(n: Network): string {
  switch (n.type) {
    case 'nat':
      return 'nat (routed out through the host, with DHCP and DNS)';
    case 'isolated':
      return 'isolated (VMs reach each other and the host only)';
    case 'bridged':
      return 'bridged (an existing host bridge; its own network hands out addresses)';
    case 'vxlan':
      return 'vxlan (isolated, spanning every host of the cluster)';
  }
}
