/**
 * Placing VMs on hosts: the scheduler's choice made against the database. The choice and the
 * write that records it (the VM's insert, or its move) happen in one transaction under the
 * cluster-wide placement lock, so two creates on two hosts never both take the last room on a
 * host or the last place in an anti-affinity group.
 */
import { HerdError } from '@herd/api';
import type { Kysely, Transaction } from 'kysely';
import { noHostFitsMessage, place, type HostRejection, type SchedulerConfig, type VmRequest } from '../scheduler/index.js';
import { lockKey } from '../store/db-lock.js';
import type { Database, VmRow } from '../store/schema.js';
import { vmRequestOf, withGroupNames, type VmReach } from './placement-request.js';
import { readPlacementView, withReportedReach, type PlacementView } from './placement-view.js';
import { clusterSchedulerConfig } from './scheduler-settings.js';

type Q = Kysely<Database> | Transaction<Database>;

/** The lock every placement holds from its read of the hosts to the write of its choice. */
export const placementLock = 'placement';

/** Limits on where a VM may go. */
export interface PlaceOptions {
  /** Hosts it must not go to (the host it leaves). */
  readonly exclude?: readonly string[];
  /** The one host it may go to (the `host` of a create, a linked clone's base layers); the filters still judge it. */
  readonly pin?: string;
  /** A VM whose own claims are left out: the one being placed again. */
  readonly ignoreVm?: string;
  readonly config?: SchedulerConfig;
}

/**
 * The host for `request`, chosen inside `trx`, the transaction that then records the choice:
 * takes the placement lock (held until `trx` ends), reads the hosts and their claims, and runs
 * the scheduler. Throws no_host_fits with each host's reason, or not_found for a pin to a host
 * that is not registered.
 */
export async function placeVm(trx: Transaction<Database>, request: VmRequest, options: PlaceOptions = {}): Promise<string> {
  await lockKey(trx, placementLock);
  return decide(await readPlacementView(trx, { ...(options.ignoreVm !== undefined && { ignoreVm: options.ignoreVm }) }), request, options);
}

/**
 * The host the scheduler would pick for existing VM `row` if it were placed now, never one of
 * `exclude`: for the HA loop and migrations. Its own claims do not count against its current
 * host. Given a transaction, it takes the placement lock, so that the caller's move of the VM
 * in that transaction is safe; given the database, the answer is only advice. Throws
 * no_host_fits.
 */
export async function chooseHost(q: Q, row: VmRow, options: { readonly exclude?: readonly string[]; readonly pin?: string; readonly config?: SchedulerConfig } = {}): Promise<string> {
  if (q.isTransaction) await lockKey(q as Transaction<Database>, placementLock);
  const request = vmRequestOf(row, await reachOfVm(q, row.id));
  return decide(await readPlacementView(q, { ignoreVm: row.id }), request, { ...options, ignoreVm: row.id });
}

/** What existing VM `vmId` needs its host to reach: the pool of its root disk, the networks of its NICs. */
export async function reachOfVm(q: Q, vmId: string): Promise<VmReach> {
  const root = await q.selectFrom('volumes').innerJoin('pools', 'pools.id', 'volumes.pool_id').select('pools.name').where('volumes.vm_id', '=', vmId).where('volumes.role', '=', 'root').executeTakeFirst();
  const nets = await q.selectFrom('nics').innerJoin('networks', 'networks.id', 'nics.network_id').select('networks.name').where('nics.vm_id', '=', vmId).execute();
  return { ...(root && { pool: root.name }), networks: nets.map((n) => n.name) };
}

/**
 * `reach` with its networks given as the user gave them (ids or names) resolved to names. A
 * network that does not exist is left out: making the NIC fails later with a better message.
 */
export async function resolveReach(q: Q, reach: VmReach): Promise<VmReach> {
  const refs = [...new Set(reach.networks ?? [])];
  if (refs.length === 0) return reach;
  const rows = await q
    .selectFrom('networks')
    .select('name')
    .where((eb) => eb.or([eb('name', 'in', refs), eb('id', 'in', refs)]))
    .execute();
  return { ...reach, networks: rows.map((r) => r.name) };
}

/** The scheduler's choice among the hosts of `view` that `options` allow, or the error saying why there is none. */
export function decide(view: PlacementView, asked: VmRequest, options: PlaceOptions = {}): string {
  const { pin, exclude = [] } = options;
  const request = withReportedReach(asked, view);
  if (pin !== undefined && !view.hosts.some((h) => h.name === pin) && !view.down.some((d) => d.host === pin))
    throw new HerdError('not_found', { kind: 'host', name: pin, field: 'host' });
  const turnedAway: HostRejection[] = view.down.filter((d) => pin === undefined || d.host === pin);
  const candidates = view.hosts.filter((h) => {
    if (pin !== undefined && h.name !== pin) return false;
    if (!exclude.includes(h.name)) return true;
    turnedAway.push({ host: h.name, filter: 'exclude', reason: 'the VM is moving off this host' });
    return false;
  });
  const placed = place(candidates, request, options.config ?? clusterSchedulerConfig);
  if (placed.ok) return placed.host;
  throw noHostFits(request, [...placed.error.rejections, ...turnedAway]);
}

/** The no_host_fits error for `request`: every host's reason, and a summary grouping them. */
export function noHostFits(request: VmRequest, rejections: readonly HostRejection[]): HerdError {
  const hosts = withGroupNames(rejections, request).sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return new HerdError('no_host_fits', { vm: request.name, summary: noHostFitsMessage(request.name, hosts), hosts });
}
