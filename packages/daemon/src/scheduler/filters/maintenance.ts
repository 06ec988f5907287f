import type { Filter } from '../filter.js';

/** Rejects a host in maintenance: it keeps its VMs but takes no new ones. */
export const maintenanceFilter: Filter = {
  name: 'maintenance',
  passes: (host) => !host.maintenance,
  reason: () => 'host is in maintenance',
  staticKey: () => '',
};
