import type { SchedulingContext } from './context.js';
import { pipelineFor, rejectionOf } from './pipeline.js';
import type { HostState, Rejection, VmRequest } from './types.js';

/** One host that turned the VM down, and which filter did. */
export interface HostRejection extends Rejection {
  readonly host: string;
}

/** Why a VM could not be placed: every host's rejection, and a message that sums them up. */
export interface NoHostFits {
  readonly vm: string;
  /** One per host, by host name. */
  readonly rejections: readonly HostRejection[];
  /**
   * "no host fits VM web1 (3 hosts): h1: capacity (needs 2048 MiB memory, has 1024 MiB free of
   * 8192×1.0); h2, h3: maintenance (host is in maintenance)". Hosts turned down for the same
   * reason share one entry (most hosts first, naming three); past `MAX_GROUPS` entries the rest
   * are only counted, per filter.
   */
  readonly message: string;
}

/** How many distinct reasons a message spells out before it only counts the rest. */
export const MAX_GROUPS = 8;
/** How many host names one reason lists before "and N more". */
const MAX_NAMES = 3;

/**
 * Works out why no host fits: runs every filter on every host again, keeping the reasons this
 * time. Only for after the fast path found none (a host that passes is left out): it builds an
 * object per host.
 */
export function noHostFits(hosts: readonly HostState[], vm: VmRequest, ctx: SchedulingContext): NoHostFits {
  const pipeline = pipelineFor(vm, ctx.config);
  const rejections: HostRejection[] = [];
  for (const host of hosts) {
    const r = rejectionOf(pipeline.filters, host, vm, ctx);
    if (r) rejections.push({ host: host.name, ...r });
  }
  rejections.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return { vm: vm.name, rejections, message: noHostFitsMessage(vm.name, rejections) };
}

/** The one-line summary of `rejections` (sorted by host name) described on `NoHostFits.message`. */
export function noHostFitsMessage(vm: string, rejections: readonly HostRejection[]): string {
  if (rejections.length === 0) return `no host fits VM ${vm}: there are no hosts`;
  const groups = new Map<string, { filter: string; reason: string; hosts: string[] }>();
  for (const r of rejections) {
    const key = `${r.filter}\0${r.reason}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { filter: r.filter, reason: r.reason, hosts: [] }));
    g.hosts.push(r.host);
  }
  // Most common reasons first; among equals, the one whose first host sorts first.
  const ordered = [...groups.values()].sort((a, b) => b.hosts.length - a.hosts.length || (a.hosts[0]! < b.hosts[0]! ? -1 : 1));
  const parts = ordered.slice(0, MAX_GROUPS).map((g) => {
    const names = g.hosts.slice(0, MAX_NAMES).join(', ') + (g.hosts.length > MAX_NAMES ? ` and ${g.hosts.length - MAX_NAMES} more` : '');
    return `${names}: ${g.filter} (${g.reason})`;
  });
  const rest = ordered.slice(MAX_GROUPS);
  if (rest.length > 0) {
    const byFilter = new Map<string, number>();
    for (const g of rest) byFilter.set(g.filter, (byFilter.get(g.filter) ?? 0) + g.hosts.length);
    const hostsLeft = rest.reduce((sum, g) => sum + g.hosts.length, 0);
    parts.push(`and ${hostsLeft} more host${hostsLeft === 1 ? '' : 's'} (${[...byFilter].map(([f, c]) => `${f} ${c}`).join(', ')})`);
  }
  const total = rejections.length > 1 ? ` (${rejections.length} hosts)` : '';
  return `no host fits VM ${vm}${total}: ${parts.join('; ')}`;
}
