/** The `hosts` resource: this host (clusters come later). */
import { HerdError, type Host } from '@herd/api';
import type { VmRepo } from '../vm/vm-repo.js';
import type { HostAccel } from '../vm/resolve-accel.js';
import type { HostFacts } from './host-info.js';

/** Reports hosts. */
export class HostService {
  readonly #facts: HostFacts;
  readonly #accel: HostAccel;
  readonly #accelPreference: 'auto' | 'kvm' | 'tcg';
  readonly #vms: VmRepo;
  readonly #dataDir: string;
  readonly #version: string;
  readonly #startedAt = new Date().toISOString();

  constructor(facts: HostFacts, accel: HostAccel, accelPreference: 'auto' | 'kvm' | 'tcg', vms: VmRepo, dataDir: string, version: string) {
    this.#facts = facts;
    this.#accel = accel;
    this.#accelPreference = accelPreference;
    this.#vms = vms;
    this.#dataDir = dataDir;
    this.#version = version;
  }

  /** The hosts herd knows: this one. */
  async list(): Promise<Host[]> {
    return [await this.#local()];
  }

  /** A host by name; `local` is this host. */
  async get(ref: string): Promise<Host> {
    if (ref !== 'local' && ref !== this.#facts.name) throw new HerdError('not_found', { kind: 'host', name: ref });
    return this.#local();
  }

  async #local(): Promise<Host> {
    const counts = await this.#vms.countByState();
    const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    return {
      name: this.#facts.name,
      cpus: this.#facts.cpus,
      memoryBytes: this.#facts.memoryBytes,
      accel: this.#accel.accel,
      accelPreference: this.#accelPreference,
      accelReason: this.#accel.reason,
      kvmUsable: this.#accel.kvmUsable,
      qemuVersion: this.#facts.qemuVersion,
      kernel: this.#facts.kernel,
      herdVersion: this.#version,
      vms: { total, running: (counts.running ?? 0) + (counts.paused ?? 0) },
      dataDir: this.#dataDir,
      startedAt: this.#startedAt,
    };
  }
}
