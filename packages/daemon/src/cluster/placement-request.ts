/**
 * A VM as the scheduler sees it: its size and what it asks of a host, from its row. Placement
 * groups are named within a project, so the scheduler gets each group under a key that carries
 * the project: a VM of another project that picks the same group name counts towards nothing.
 */
import { HerdError, Placement, type Placement as PlacementBody } from '@herd/api';
import { Value } from '@sinclair/typebox/value';
import type { VmRow } from '../store/schema.js';
import type { VmRequest } from '../scheduler/index.js';

const GiB = 1024 ** 3;

/** The row fields a placement reads. */
export type PlacedVmRow = Pick<VmRow, 'name' | 'cpus' | 'memory_mib' | 'disk_bytes' | 'accel_pref' | 'placement' | 'priority' | 'project_id'>;

/** What a host must reach for the VM, besides what its row says. */
export interface VmReach {
  /** The pool of its root disk. */
  readonly pool?: string;
  /** Names of the networks it has NICs on. */
  readonly networks?: readonly string[];
}

/** The scheduler key of group `name` of project `project`: `name@project`. */
export function groupKey(project: string | null | undefined, name: string): string {
  return `${name}@${project ?? ''}`;
}

/**
 * The request for `row`. Disk counts whole GiB, rounded up, as the hosts' claims do; `kvm` asks
 * for a KVM host while `auto` and `tcg` run anywhere (every host can emulate).
 */
export function vmRequestOf(row: PlacedVmRow, reach: VmReach = {}): VmRequest {
  const placement = parsePlacement(row);
  const groups = placement.groups?.map((g) => ({
    name: groupKey(row.project_id, g.name),
    policy: g.policy,
    hard: g.hard ?? true,
    ...(g.maxPerHost !== undefined && { maxPerHost: g.maxPerHost }),
  }));
  return {
    name: row.name,
    vcpus: Number(row.cpus),
    memoryMiB: Number(row.memory_mib),
    diskGiB: diskGiBOf(row.disk_bytes),
    ...(placement.selector && Object.keys(placement.selector).length > 0 && { selector: placement.selector }),
    ...(row.accel_pref === 'kvm' && { accel: 'kvm' as const }),
    ...(reach.pool !== undefined && { pool: reach.pool }),
    ...(reach.networks !== undefined && reach.networks.length > 0 && { networks: [...new Set(reach.networks)].sort() }),
    priority: row.priority ?? 0,
    ...(groups !== undefined && groups.length > 0 && { groups }),
  };
}

/** A disk size as the whole GiB the scheduler counts. */
export function diskGiBOf(bytes: number | string | bigint): number {
  return Math.ceil(Number(bytes) / GiB);
}

/**
 * The placement stored in a VM row (written by `placementColumn`, so always valid unless the
 * database was edited by hand, which is an error worth stopping for rather than a group to drop
 * silently).
 */
export function parsePlacement(row: Pick<VmRow, 'name' | 'placement'>): PlacementBody {
  // Most VMs ask for nothing; every placement reads every VM.
  if (row.placement === undefined || row.placement === '{}') return {};
  let value: unknown;
  try {
    value = JSON.parse(row.placement);
  } catch {
    value = undefined;
  }
  if (!Value.Check(Placement, value)) throw new Error(`VM ${row.name}: its stored placement is not a valid placement: ${row.placement}`);
  return value;
}

/**
 * The `placement` column for the placement of a create request: checked beyond what the schema
 * can say (group names unique, `maxPerHost` only on anti-affinity), `hard` spelled out, empty
 * parts left out. Throws validation_failed naming the field.
 */
export function placementColumn(body: PlacementBody | undefined): string {
  const groups = body?.groups ?? [];
  const seen = new Set<string>();
  for (const [i, g] of groups.entries()) {
    if (seen.has(g.name)) throw new HerdError('validation_failed', { field: `placement.groups.${i}.name`, reason: `group '${g.name}' is listed twice; list each group once` });
    seen.add(g.name);
    if (g.policy === 'affinity' && g.maxPerHost !== undefined)
      throw new HerdError('validation_failed', { field: `placement.groups.${i}.maxPerHost`, reason: `maxPerHost limits anti-affinity groups; group '${g.name}' is an affinity group` });
  }
  const stored: PlacementBody = {
    ...(body?.selector && Object.keys(body.selector).length > 0 && { selector: body.selector }),
    ...(groups.length > 0 && { groups: groups.map((g) => ({ name: g.name, policy: g.policy, hard: g.hard ?? true, ...(g.maxPerHost !== undefined && { maxPerHost: g.maxPerHost }) })) }),
  };
  return JSON.stringify(stored);
}

/**
 * `rejections` with the request's group keys shown as the names the user gave (the filters'
 * reasons name the groups they checked, which are the request's).
 */
export function withGroupNames<R extends { readonly reason: string }>(rejections: readonly R[], request: VmRequest): R[] {
  const names = (request.groups ?? []).map((g) => [g.name, g.name.slice(0, g.name.lastIndexOf('@'))] as const);
  return rejections.map((r) => ({ ...r, reason: names.reduce((text, [key, name]) => text.replaceAll(key, name), r.reason) }));
}
