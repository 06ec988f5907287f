/**
 * The `hosts` resource: the hosts of the cluster as the hosts table has them (a single host
 * has one row, itself), with what their VMs claim of them and whether they are alive and lead,
 * by the database's clock. `local` names the host that answers.
 */
import { HerdError, type Host, type HostUpdate } from '@herd/api';
import type { HostRecord, HostRepo, HostUsage } from '../cluster/host-repo.js';

const MiB = 1024 ** 2;
const noUsage: HostUsage = { vcpus: 0, memoryMiB: 0, diskGiB: 0, vms: 0, running: 0 };

/** What the picture of every host is made from, read once per request. */
interface Snapshot {
  readonly now: string;
  readonly usage: Map<string, HostUsage>;
  readonly leader: string | undefined;
}

/** Reports and changes hosts. */
export class HostService {
  readonly #repo: HostRepo;
  readonly #localName: string;

  constructor(repo: HostRepo, localName: string) {
    this.#repo = repo;
    this.#localName = localName;
  }

  /** Every host, by name. */
  async list(): Promise<Host[]> {
    const [rows, snap] = await Promise.all([this.#repo.list(), this.#snapshot()]);
    return rows.map((r) => toApi(r, snap));
  }

  /** A host by name; `local` is this host. Throws not_found. */
  async get(ref: string): Promise<Host> {
    const [row, snap] = await Promise.all([this.#repo.get(this.#nameOf(ref)), this.#snapshot()]);
    return toApi(row, snap);
  }

  /** Replaces a host's labels and/or sets its overcommit ratios. Throws not_found. */
  async update(ref: string, body: HostUpdate): Promise<Host> {
    const name = this.#nameOf(ref);
    await this.#repo.get(name);
    if (body.labels !== undefined) await this.#repo.setLabels(name, body.labels);
    if (body.overcommit !== undefined) await this.#repo.setOvercommit(name, body.overcommit);
    return this.get(name);
  }

  /**
   * Forgets a host whose lease has run out and that holds no VMs; returns it as it was. A host
   * that starts herd again registers anew. Throws not_found, host_alive or host_not_empty.
   */
  async remove(ref: string): Promise<Host> {
    const name = this.#nameOf(ref);
    const snap = await this.#snapshot();
    const r = await this.#repo.remove(name);
    if (r.removed) return toApi(r.host, snap);
    if (r.why === 'has-vms') {
      const list = r.vms.slice(0, 5).join(', ') + (r.vms.length > 5 ? `, ... (${r.vms.length} in all)` : '');
      throw new HerdError('host_not_empty', { name, vms: `${r.vms.length === 1 ? 'VM' : 'VMs'} ${list}`, count: r.vms.length });
    }
    throw new HerdError('host_alive', { name, heartbeatAt: r.host.heartbeatAt, leaseExpiresAt: r.host.leaseExpiresAt });
  }

  #nameOf(ref: string): string {
    return ref === 'local' ? this.#localName : ref;
  }

  async #snapshot(): Promise<Snapshot> {
    const [now, usage, lease] = await Promise.all([this.#repo.now(), this.#repo.usage(), this.#repo.leaseHolder()]);
    const nowIso = now.toISOString();
    return { now: nowIso, usage, leader: lease && lease.expiresAt > nowIso ? lease.holder : undefined };
  }
}

function toApi(r: HostRecord, snap: Snapshot): Host {
  const use = snap.usage.get(r.name) ?? noUsage;
  return {
    name: r.name,
    address: r.address,
    labels: { ...r.labels },
    mode: r.mode,
    status: r.status,
    alive: r.leaseExpiresAt > snap.now,
    leader: snap.leader === r.name,
    heartbeatAt: r.heartbeatAt,
    leaseExpiresAt: r.leaseExpiresAt,
    overcommit: { ...r.overcommit },
    capacity: { vcpus: r.cpus, memoryMiB: r.memoryMiB, diskGiB: r.diskGiB },
    allocated: { vcpus: use.vcpus, memoryMiB: use.memoryMiB, diskGiB: use.diskGiB },
    loadCpu: r.loadCpu,
    pools: [...r.pools],
    networks: [...r.networks],
    cpus: r.cpus,
    memoryBytes: r.memoryMiB * MiB,
    accel: r.accel,
    accelPreference: r.accelPreference,
    accelReason: r.accelReason,
    kvmUsable: r.kvmUsable,
    qemuVersion: r.qemuVersion,
    kernel: r.kernel,
    herdVersion: r.herdVersion,
    vms: { total: use.vms, running: use.running },
    dataDir: r.dataDir,
    startedAt: r.startedAt,
  };
}
