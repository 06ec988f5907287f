/**
 * Finishes VM operations: each tracked operation is checked against its goal whenever its VM
 * changes, and succeeds or fails accordingly. After a daemon restart, unfinished VM operations
 * are tracked again, so none stays "running" forever.
 */
import type { OperationKind, Vm } from '@herd/api';
import type { Logger } from 'pino';
import type { VmRow } from '../store/schema.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { OperationStore } from './operation-store.js';
import { checkVmGoal, type VmOpParams } from './vm-op-goals.js';

interface Tracked {
  readonly opId: string;
  readonly kind: OperationKind;
  readonly params: VmOpParams;
  readonly name: string;
}

/** Watches VM changes and completes the operations waiting on them. One per daemon. */
export class VmOpTracker {
  readonly #ops: OperationStore;
  readonly #vms: VmRepo;
  readonly #view: (row: VmRow) => Promise<Vm>;
  readonly #log: Logger;
  readonly #byVm = new Map<string, Map<string, Tracked>>();

  constructor(ops: OperationStore, vms: VmRepo, view: (row: VmRow) => Promise<Vm>, log: Logger) {
    this.#ops = ops;
    this.#vms = vms;
    this.#view = view;
    this.#log = log;
    vms.onChange((id, row) => void this.#check(id, row));
  }

  /** Tracks operation `opId` on VM `vmId` until its goal is reached or missed. */
  async track(opId: string, vmId: string, kind: OperationKind, params: VmOpParams, name: string): Promise<void> {
    const set = this.#byVm.get(vmId) ?? new Map<string, Tracked>();
    this.#byVm.set(vmId, set);
    set.set(opId, { opId, kind, params, name });
    await this.#check(vmId, await this.#vms.get(vmId));
  }

  /**
   * Looks at VM `vmId` again: in a cluster another host runs it, and its changes arrive as
   * notifications rather than through this host's VM repository.
   */
  async recheck(vmId: string): Promise<void> {
    if (this.#byVm.has(vmId)) await this.#check(vmId, await this.#vms.get(vmId));
  }

  /** Tracks again the VM operations a previous daemon left unfinished. */
  async resume(): Promise<void> {
    for (const op of await this.#ops.listUnfinished()) {
      if (op.target_type !== 'vm' || !op.target_id) continue;
      await this.track(op.id, op.target_id, op.kind as OperationKind, JSON.parse(op.params) as VmOpParams, op.target_name);
    }
  }

  async #check(vmId: string, row: VmRow | undefined): Promise<void> {
    const set = this.#byVm.get(vmId);
    if (!set) return;
    for (const t of [...set.values()]) {
      const check = checkVmGoal(t.kind, t.params, row, t.name);
      if (check.kind === 'pending') continue;
      set.delete(t.opId);
      try {
        if (check.kind === 'done') {
          const result = row ? { vm: await this.#view(row) } : { id: vmId, name: t.name };
          await this.#ops.succeed(t.opId, result);
        } else {
          await this.#ops.fail(t.opId, check.error);
        }
      } catch (e) {
        this.#log.error({ op: t.opId, err: String(e) }, 'cannot finish operation');
      }
    }
    if (set.size === 0) this.#byVm.delete(vmId);
  }
}
