/** How a VM's NICs look in tables. */
import type { Nic, VmNic } from '@herd/api';
import { renderTable, type Column } from '../output/table.js';

const nicColumns: readonly Column[] = [
  { header: 'DEVICE' },
  { header: 'NETWORK', shrink: true },
  { header: 'MAC' },
  { header: 'IP' },
  { header: 'TAP' },
  { header: 'SECGROUPS', shrink: true },
];

const vmNicColumns: readonly Column[] = [{ header: 'DEVICE' }, { header: 'NETWORK' }, { header: 'MAC' }, { header: 'IP' }, { header: 'SECGROUPS' }];

const groups = (g: readonly string[]) => (g.length ? g.join(',') : '-');

/** The `herd vm nic list` table. */
export function nicTable(nics: readonly Nic[], width?: number): string {
  return renderTable(
    nicColumns,
    nics.map((n) => [n.device, n.network, n.mac, n.ip ?? '-', n.tap, groups(n.securityGroups)]),
    { maxWidth: width },
  );
}

/** The table of a VM's NICs under its `show` block. */
export function vmNicTable(nics: readonly VmNic[]): string {
  return renderTable(
    vmNicColumns,
    nics.map((n) => [n.device, n.network, n.mac, n.ip ?? '-', groups(n.securityGroups)]),
  );
}

/** One line about a NIC, for commands that change one. */
export function nicLine(n: Pick<Nic, 'device' | 'mac' | 'network' | 'ip' | 'securityGroups' | 'vm'>): string {
  return `NIC ${n.device} (${n.mac}) of vm '${n.vm}' on network '${n.network}'${n.ip ? `, ${n.ip}` : ''}; security groups: ${n.securityGroups.join(', ') || 'none'}`;
}
