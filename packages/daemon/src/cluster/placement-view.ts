/**
 * The cluster as the scheduler sees it, read from the database: every host that can take VMs
 * now, with what the VMs assigned to it claim, and the hosts that cannot, with why.
 */
import type { Kysely, Transaction } from 'kysely';
import type { HostRejection, HostState, Overcommit, VmRequest } from '../scheduler/index.js';
import { dbNow } from '../store/db-clock.js';
import type { Database, HostsTable } from '../store/schema.js';
import { diskGiBOf, groupKey, parsePlacement } from './placement-request.js';

type Q = Kysely<Database> | Transaction<Database>;

/** The hosts of the cluster, split by whether they may take VMs now. */
export interface PlacementView {
  /** Online hosts whose lease runs, by name. Those in maintenance are here too: a filter turns them down, with its reason. */
  readonly hosts: readonly HostState[];
  /** Registered hosts that cannot take VMs now (offline, or late renewing their lease), by name. */
  readonly down: readonly HostRejection[];
  /** Pools and networks some registered host, up or down, has reported. */
  readonly reported: { readonly pools: ReadonlySet<string>; readonly networks: ReadonlySet<string> };
}

/** What `readPlacementView` leaves out. */
export interface PlacementViewOptions {
  /** A VM whose own claims are not counted: it is being placed again (explained, moved, restarted). */
  readonly ignoreVm?: string;
}

/**
 * Reads the hosts and the claims on them. A VM claims its size (vCPUs, memory, its root disk in
 * whole GiB) and a place in each of its groups on its host, and on the host it migrates to
 * while it does; a VM being deleted claims nothing. A host is up while it is online and its
 * lease, compared with the database's clock, has not run out. Call it inside the transaction
 * that acts on its answer, after taking the placement lock, or the answer may be stale.
 */
export async function readPlacementView(q: Q, options: PlacementViewOptions = {}): Promise<PlacementView> {
  const now = (await dbNow(q)).getTime();
  const rows = await q.selectFrom('hosts').selectAll().orderBy('name').execute();
  let vms = q.selectFrom('vms').select(['id', 'name', 'host', 'migrating_to', 'cpus', 'memory_mib', 'disk_bytes', 'placement', 'project_id']).where('deleting', '=', 0);
  if (options.ignoreVm !== undefined) vms = vms.where('id', '!=', options.ignoreVm);

  const used = new Map<string, { vcpus: number; memoryMiB: number; diskGiB: number }>();
  const groups = new Map<string, Record<string, number>>();
  for (const vm of await vms.execute()) {
    const placement = parsePlacement(vm);
    const keys = [...new Set((placement.groups ?? []).map((g) => groupKey(vm.project_id, g.name)))];
    for (const host of vm.migrating_to && vm.migrating_to !== vm.host ? [vm.host, vm.migrating_to] : [vm.host]) {
      const u = used.get(host) ?? { vcpus: 0, memoryMiB: 0, diskGiB: 0 };
      u.vcpus += Number(vm.cpus);
      u.memoryMiB += Number(vm.memory_mib);
      u.diskGiB += diskGiBOf(vm.disk_bytes);
      used.set(host, u);
      if (keys.length === 0) continue;
      const g = groups.get(host) ?? {};
      for (const k of keys) g[k] = (g[k] ?? 0) + 1;
      groups.set(host, g);
    }
  }

  const hosts: HostState[] = [];
  const down: HostRejection[] = [];
  const reported = { pools: new Set<string>(), networks: new Set<string>() };
  for (const row of rows) {
    for (const column of ['pools', 'networks'] as const) {
      try {
        for (const name of parseJson(row, column, isNames)) reported[column].add(name);
      } catch {
        // hostState below says what is wrong with the row.
      }
    }
    const downReason = whyDown(row, now);
    if (downReason) {
      down.push({ host: row.name, filter: 'online', reason: downReason });
      continue;
    }
    try {
      hosts.push(hostState(row, used.get(row.name), groups.get(row.name)));
    } catch (e) {
      // One host's bad record keeps that host out, not every placement in the cluster.
      down.push({ host: row.name, filter: 'record', reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return { hosts, down, reported };
}

/**
 * `request` without the pool and networks no host has reported yet. Hosts report what they reach
 * with their heartbeats, so a pool or network made a moment ago is in no report: it tells no host
 * apart from another yet, and filtering on it would refuse every VM that uses it until the next
 * heartbeat. Once some host reports it, hosts that do not are refused.
 */
export function withReportedReach(request: VmRequest, view: PlacementView): VmRequest {
  const { pool, networks, ...rest } = request;
  const known = networks?.filter((n) => view.reported.networks.has(n)) ?? [];
  return { ...rest, ...(pool !== undefined && view.reported.pools.has(pool) && { pool }), ...(known.length > 0 && { networks: known }) };
}

/** The host as the scheduler sees it; throws when a JSON column is not what herd writes there. */
function hostState(row: HostsTable, used: HostState['used'] | undefined, groups: Record<string, number> | undefined): HostState {
  const overcommit = parseOvercommit(row);
  return {
    name: row.name,
    cpus: Number(row.cpus),
    memoryMiB: Number(row.memory_mib),
    diskGiB: Number(row.disk_gib),
    used: used ?? { vcpus: 0, memoryMiB: 0, diskGiB: 0 },
    ...(overcommit && { overcommit }),
    labels: parseJson(row, 'labels', isLabels),
    // A draining host is being emptied by live migration: it takes no new VMs either.
    maintenance: row.mode !== 'active',
    accel: row.accel,
    pools: parseJson(row, 'pools', isNames),
    networks: parseJson(row, 'networks', isNames),
    ...(row.load_cpu !== null && { load: { cpu: Math.min(Math.max(Number(row.load_cpu), 0), 1) } }),
    groups: groups ?? {},
  };
}

/** Why the host cannot take VMs now, or undefined when it can. */
function whyDown(row: HostsTable, now: number): string | undefined {
  if (row.status !== 'online') return 'host is offline (fenced after its lease ran out)';
  const expires = new Date(row.lease_expires_at).getTime();
  if (!(expires > now)) return `host's lease ran out at ${new Date(row.lease_expires_at).toISOString()} (last heartbeat ${new Date(row.heartbeat_at).toISOString()})`;
  return undefined;
}

function parseOvercommit(row: HostsTable): Partial<Overcommit> | undefined {
  const o = parseJson(row, 'overcommit', (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
  const ratios: { -readonly [K in keyof Overcommit]?: number } = {};
  for (const k of ['cpu', 'memory', 'disk'] as const) {
    const r = o[k];
    if (r === undefined) continue;
    if (typeof r !== 'number' || !(r > 0) || !Number.isFinite(r)) throw new Error(`its overcommit.${k} is ${JSON.stringify(r)}, not a number above 0`);
    ratios[k] = r;
  }
  return Object.keys(ratios).length > 0 ? ratios : undefined;
}

/** A JSON column of a host row, checked: the row is written by every host of the cluster. */
function parseJson<T>(row: HostsTable, column: 'labels' | 'pools' | 'networks' | 'overcommit', check: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(row[column]);
  } catch {
    throw new Error(`its ${column} are not JSON: ${row[column]}`);
  }
  if (!check(value)) throw new Error(`its ${column} are not what herd writes there: ${row[column]}`);
  return value;
}

const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isLabels = (v: unknown): v is Record<string, string> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
