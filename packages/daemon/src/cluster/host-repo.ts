/**
 * The `hosts` table: each host registers itself at start and renews its lease with every
 * heartbeat; administrators set labels, overcommit ratios and modes; the leader marks a host
 * offline once its lease has run out. Lease times are written from the database's clock
 * (store/db-clock.ts), so hosts whose clocks disagree still agree on who is late. Times are
 * RFC 3339 strings of one fixed width, so that comparing them as text orders them in time, on
 * SQLite and PostgreSQL alike.
 */
import { HerdError, type HostMode, type HostOvercommit } from '@herd/api';
import type { EventLog } from '../events/event-log.js';
import { dbNow } from '../store/db-clock.js';
import { lockKey } from '../store/db-lock.js';
import type { Db } from '../store/open-database.js';
import type { HostRow } from '../store/schema.js';

/** What a host tells about itself when it registers: fixed for the life of the daemon, plus its first live facts. */
export interface HostRegistration extends HostLiveFacts {
  readonly name: string;
  /** The URL other hosts reach its API on (`--advertise`), or null on a single host. */
  readonly address: string | null;
  readonly accel: 'kvm' | 'tcg';
  readonly accelPreference: 'auto' | 'kvm' | 'tcg';
  readonly accelReason: string;
  readonly kvmUsable: boolean;
  readonly dataDir: string;
  readonly herdVersion: string;
  readonly qemuVersion: string;
  readonly kernel: string;
}

/** What a host reports with every heartbeat. */
export interface HostLiveFacts {
  readonly cpus: number;
  readonly memoryMiB: number;
  /** Space of the pools it reaches, GiB. */
  readonly diskGiB: number;
  /** Busy share of its CPUs, 0..1, when known. */
  readonly loadCpu: number | null;
  readonly pools: readonly string[];
  readonly networks: readonly string[];
}

/** The lease a heartbeat renews: this daemon's registration, and how long the renewal lasts. */
export interface HostLeaseTerms {
  /** `startedAt` of this daemon's registration: a row registered since by another process is not renewed. */
  readonly startedAt: string;
  readonly leaseMs: number;
}

/** A host as stored, its JSON columns decoded. */
export interface HostRecord {
  readonly name: string;
  readonly address: string | null;
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly accel: 'kvm' | 'tcg';
  readonly accelPreference: 'auto' | 'kvm' | 'tcg';
  readonly accelReason: string;
  readonly kvmUsable: boolean;
  readonly dataDir: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pools: readonly string[];
  readonly networks: readonly string[];
  readonly overcommit: HostOvercommit;
  readonly mode: HostMode;
  readonly status: 'online' | 'offline';
  readonly loadCpu: number | null;
  readonly heartbeatAt: string;
  /** By the database's clock; past it the host counts as failed. */
  readonly leaseExpiresAt: string;
  readonly startedAt: string;
  readonly herdVersion: string;
  readonly qemuVersion: string;
  readonly kernel: string;
  readonly createdAt: string;
}

/** What the VMs assigned to a host claim of it, and how many there are. */
export interface HostUsage {
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly vms: number;
  /** VMs running or paused. */
  readonly running: number;
}

/** The outcome of {@link HostRepo.remove}. */
export type HostRemoval =
  | { readonly removed: true; readonly host: HostRecord }
  | { readonly removed: false; readonly why: 'alive'; readonly host: HostRecord }
  | { readonly removed: false; readonly why: 'has-vms'; readonly host: HostRecord; readonly vms: readonly string[] };

/** Overcommit changes: a number sets a ratio, null returns it to the cluster default. */
export type OvercommitChange = { readonly [K in keyof HostOvercommit]?: number | null };

const GiB = 1024 ** 3;
const iso = (ms: number) => new Date(ms).toISOString();

/** Reads and writes host rows. One per daemon; also what the leader's HA loop and the scheduler read. */
export class HostRepo {
  readonly #db: Db;
  readonly #events: EventLog | undefined;

  constructor(db: Db, events?: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** Now by the database's clock, the one leases are measured on. */
  now(): Promise<Date> {
    return dbNow(this.#db);
  }

  /**
   * Registers this host, or refreshes its row after a restart: its facts and a fresh lease,
   * status back to online. Labels, mode and overcommit, which administrators set, are kept.
   * Returns the lease end written. Call at daemon start (and to rejoin after being fenced).
   */
  async register(reg: HostRegistration, terms: HostLeaseTerms): Promise<string> {
    const now = await dbNow(this.#db);
    const leaseExpiresAt = iso(now.getTime() + terms.leaseMs);
    const facts = {
      address: reg.address,
      accel: reg.accel,
      accel_preference: reg.accelPreference,
      accel_reason: reg.accelReason,
      kvm_usable: reg.kvmUsable ? 1 : 0,
      data_dir: reg.dataDir,
      herd_version: reg.herdVersion,
      qemu_version: reg.qemuVersion,
      kernel: reg.kernel,
      ...liveColumns(reg),
      status: 'online' as const,
      heartbeat_at: now.toISOString(),
      lease_expires_at: leaseExpiresAt,
      started_at: terms.startedAt,
    };
    const existed = await this.find(reg.name);
    await this.#db
      .insertInto('hosts')
      .values({ name: reg.name, ...facts, labels: '{}', overcommit: '{}', mode: 'active', created_at: now.toISOString() })
      .onConflict((oc) => oc.column('name').doUpdateSet(facts))
      .execute();
    await this.#event(reg.name, 'host.registered', existed ? `host '${reg.name}' registered again` : `host '${reg.name}' joined`, { address: reg.address });
    return leaseExpiresAt;
  }

  /**
   * Renews the lease of host `name` until now + `leaseMs` (database clock) and records its live
   * facts. False when the row is gone, was marked offline, or was registered since by another
   * process (another `startedAt`): then this daemon no longer holds the lease.
   */
  async heartbeat(name: string, facts: HostLiveFacts, terms: HostLeaseTerms): Promise<boolean> {
    const now = await dbNow(this.#db);
    const r = await this.#db
      .updateTable('hosts')
      .set({ ...liveColumns(facts), heartbeat_at: now.toISOString(), lease_expires_at: iso(now.getTime() + terms.leaseMs) })
      .where('name', '=', name)
      .where('started_at', '=', terms.startedAt)
      .where('status', '=', 'online')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Every host, by name. */
  async list(): Promise<HostRecord[]> {
    const rows = await this.#db.selectFrom('hosts').selectAll().orderBy('name').execute();
    return rows.map(toRecord);
  }

  /** Host `name`, or undefined. */
  async find(name: string): Promise<HostRecord | undefined> {
    const row = await this.#db.selectFrom('hosts').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Host `name`; throws not_found. */
  async get(name: string): Promise<HostRecord> {
    const found = await this.find(name);
    if (!found) throw new HerdError('not_found', { kind: 'host', name });
    return found;
  }

  /** Replaces the labels of host `name` (already validated by the API schema); throws not_found. */
  async setLabels(name: string, labels: Readonly<Record<string, string>>): Promise<HostRecord> {
    const r = await this.#db.updateTable('hosts').set({ labels: JSON.stringify(sortedRecord(labels)) }).where('name', '=', name).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new HerdError('not_found', { kind: 'host', name });
    await this.#event(name, 'host.updated', `labels of host '${name}' set`, { labels });
    return this.get(name);
  }

  /** Sets or clears (null) overcommit ratios of host `name`, keeping the others; throws not_found. */
  async setOvercommit(name: string, change: OvercommitChange): Promise<HostRecord> {
    const next = await this.#db.transaction().execute(async (trx) => {
      // Read-merge-write: one writer per host at a time, across hosts too.
      await lockKey(trx, `host:${name}`);
      const row = await trx.selectFrom('hosts').select('overcommit').where('name', '=', name).executeTakeFirst();
      if (!row) throw new HerdError('not_found', { kind: 'host', name });
      const merged: Record<string, number> = { ...decodeOvercommit(row.overcommit) };
      for (const [k, v] of Object.entries(change)) {
        if (v === null) delete merged[k];
        else if (v !== undefined) merged[k] = v;
      }
      const json = JSON.stringify(sortedRecord(merged));
      await trx.updateTable('hosts').set({ overcommit: json }).where('name', '=', name).execute();
      return merged;
    });
    await this.#event(name, 'host.updated', `overcommit of host '${name}' set`, { overcommit: next });
    return this.get(name);
  }

  /** Sets the mode of host `name` (maintenance and evacuation use it); throws not_found. */
  async setMode(name: string, mode: HostMode): Promise<HostRecord> {
    const r = await this.#db.updateTable('hosts').set({ mode }).where('name', '=', name).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new HerdError('not_found', { kind: 'host', name });
    await this.#event(name, 'host.updated', `host '${name}' is now in mode ${mode}`, { mode });
    return this.get(name);
  }

  /**
   * Marks host `name` offline, fencing it, but only if its lease still ends at
   * `expectedLeaseExpiry` and that time has passed: a host that renewed in the meantime is left
   * alone. For the leader's HA loop, which reads the host, decides, then calls this; true when
   * this call fenced it.
   */
  async markOffline(name: string, expectedLeaseExpiry: string): Promise<boolean> {
    const now = await dbNow(this.#db);
    const r = await this.#db
      .updateTable('hosts')
      .set({ status: 'offline' })
      .where('name', '=', name)
      .where('status', '=', 'online')
      .where('lease_expires_at', '=', expectedLeaseExpiry)
      .where('lease_expires_at', '<', now.toISOString())
      .executeTakeFirst();
    const fenced = Number(r.numUpdatedRows) === 1;
    if (fenced) await this.#event(name, 'host.offline', `host '${name}' is offline: its lease ran out at ${expectedLeaseExpiry}`, { leaseExpiredAt: expectedLeaseExpiry });
    return fenced;
  }

  /**
   * Forgets host `name` if its lease has run out and no VM is assigned to it (or migrating to
   * it), in one statement so that neither can change in between; otherwise says why not.
   * Throws not_found.
   */
  async remove(name: string): Promise<HostRemoval> {
    const host = await this.get(name);
    const now = await dbNow(this.#db);
    const r = await this.#db
      .deleteFrom('hosts')
      .where('name', '=', name)
      .where('lease_expires_at', '<', now.toISOString())
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('vms').select('vms.id').where((vm) => vm.or([vm('vms.host', '=', name), vm('vms.migrating_to', '=', name)])))),
      )
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 1) {
      await this.#event(name, 'host.removed', `host '${name}' removed`, {});
      return { removed: true, host };
    }
    const again = await this.find(name);
    if (!again) return { removed: true, host };
    if (again.leaseExpiresAt >= now.toISOString()) return { removed: false, why: 'alive', host: again };
    const vms = await this.#db
      .selectFrom('vms')
      .select('name')
      .where((eb) => eb.or([eb('host', '=', name), eb('migrating_to', '=', name)]))
      .orderBy('name')
      .execute();
    return { removed: false, why: 'has-vms', host: again, vms: vms.map((v) => v.name) };
  }

  /** What the VMs assigned to each host claim of it (hosts without VMs are absent). */
  async usage(): Promise<Map<string, HostUsage>> {
    const rows = await this.#db
      .selectFrom('vms')
      .select((eb) => [
        'host',
        eb.fn.countAll<number>().as('vms'),
        eb.fn.sum<number>(eb.case().when('state', 'in', ['running', 'paused']).then(1).else(0).end()).as('running'),
        eb.fn.sum<number>(eb.case().when('deleting', '=', 0).then(eb.ref('cpus')).else(0).end()).as('vcpus'),
        eb.fn.sum<number>(eb.case().when('deleting', '=', 0).then(eb.ref('memory_mib')).else(0).end()).as('memory'),
        eb.fn.sum<number>(eb.case().when('deleting', '=', 0).then(eb.ref('disk_bytes')).else(0).end()).as('disk'),
      ])
      .groupBy('host')
      .execute();
    return new Map(
      rows.map((r) => [
        r.host,
        { vms: Number(r.vms), running: Number(r.running ?? 0), vcpus: Number(r.vcpus ?? 0), memoryMiB: Number(r.memory ?? 0), diskGiB: Math.ceil(Number(r.disk ?? 0) / GiB) },
      ]),
    );
  }

  /** Who holds the lease `name` (the leader's is `leader`) and until when; undefined when nobody ever did. */
  async leaseHolder(name = 'leader'): Promise<{ holder: string; term: number; expiresAt: string } | undefined> {
    const row = await this.#db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    return row && { holder: row.holder, term: Number(row.term), expiresAt: row.expires_at };
  }

  async #event(name: string, type: string, message: string, data: Record<string, unknown>): Promise<void> {
    await this.#events?.append({ type, target: { type: 'host', id: null, name }, message, data });
  }
}

function liveColumns(f: HostLiveFacts) {
  return {
    cpus: f.cpus,
    memory_mib: f.memoryMiB,
    disk_gib: f.diskGiB,
    load_cpu: f.loadCpu,
    pools: JSON.stringify([...f.pools].sort()),
    networks: JSON.stringify([...f.networks].sort()),
  };
}

function sortedRecord<T>(r: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Parses a JSON column; what is not the expected shape reads as `fallback` rather than failing every host list. */
function parseJson<T>(text: string, valid: (v: unknown) => v is T, fallback: T): T {
  try {
    const v: unknown = JSON.parse(text);
    return valid(v) ? v : fallback;
  } catch {
    return fallback;
  }
}

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function decodeOvercommit(text: string): HostOvercommit {
  const raw = parseJson<Record<string, unknown>>(text, (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v), {});
  const out: { cpu?: number; memory?: number; disk?: number } = {};
  for (const k of ['cpu', 'memory', 'disk'] as const) {
    const v = raw[k];
    if (typeof v === 'number' && v > 0 && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

function toRecord(r: HostRow): HostRecord {
  return {
    name: r.name,
    address: r.address,
    cpus: Number(r.cpus),
    memoryMiB: Number(r.memory_mib),
    diskGiB: Number(r.disk_gib),
    accel: r.accel,
    accelPreference: r.accel_preference,
    accelReason: r.accel_reason,
    kvmUsable: Number(r.kvm_usable) === 1,
    dataDir: r.data_dir,
    labels: parseJson(r.labels, isStringRecord, {}),
    pools: parseJson(r.pools, isStringArray, []),
    networks: parseJson(r.networks, isStringArray, []),
    overcommit: decodeOvercommit(r.overcommit),
    mode: r.mode,
    status: r.status,
    loadCpu: r.load_cpu === null ? null : Number(r.load_cpu),
    heartbeatAt: r.heartbeat_at,
    leaseExpiresAt: r.lease_expires_at,
    startedAt: r.started_at,
    herdVersion: r.herd_version,
    qemuVersion: r.qemu_version,
    kernel: r.kernel,
    createdAt: r.created_at,
  };
}
