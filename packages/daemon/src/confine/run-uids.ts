/**
 * The uids (and gids: the same number) VMs' QEMUs run as, one per VM, from {@link RUN_UID_BASE}
 * up. No passwd entry is needed: the kernel only compares numbers.
 *
 * A uid is never handed out twice, even after its VM is deleted: a file the deleted VM's QEMU
 * could open and herd failed to take back (a crash between a detach and its chown) must not be
 * open to a later VM. The cost is 32 bits of uids, from a billion up: more VMs than any host makes.
 */
import { sql } from 'kysely';
import { lockKey } from '../store/db-lock.js';
import type { Db } from '../store/open-database.js';
import { confining, type VmOwner } from './vm-owner.js';

/** The first uid handed out. Far above login users (1000+) and the usual subordinate-uid ranges of containers (100000+, 65536 each). */
export const RUN_UID_BASE = 1_000_000_000;

/** Hands out QEMU uids to VMs. One per daemon. */
export class RunUids {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * The uid of VM `vmId`'s QEMU, allocated (the next never-used one) if it has none yet.
   * Idempotent; safe to call concurrently for different VMs (one transaction each). Call before
   * starting the VM; throws if there is no such VM.
   */
  async ensure(vmId: string): Promise<number> {
    return this.#db.transaction().execute(async (tx) => {
      // The counter's UPDATE ... RETURNING is atomic by itself; the lock keeps two hosts starting
      // the same VM from both finding it without a uid and each giving it one.
      await lockKey(tx, `run-uid:${vmId}`);
      const vm = await tx.selectFrom('vms').select('run_uid').where('id', '=', vmId).executeTakeFirst();
      if (!vm) throw new Error(`no VM ${vmId} to give a uid to`);
      if (vm.run_uid !== null && vm.run_uid !== undefined) return vm.run_uid;
      const counter = await tx
        .updateTable('run_uids')
        .set({ issued: sql`issued + 1` })
        .where('id', '=', 1)
        .returning('issued')
        .executeTakeFirstOrThrow();
      const uid = RUN_UID_BASE + counter.issued - 1;
      await tx.updateTable('vms').set({ run_uid: uid }).where('id', '=', vmId).execute();
      return uid;
    });
  }

  /**
   * The user VM `vmId`'s QEMU is to run as: its own (allocated if need be, see {@link ensure})
   * when this daemon confines, otherwise undefined (QEMU runs as the daemon). Call before a start.
   */
  async ownerFor(vmId: string): Promise<VmOwner | undefined> {
    if (!confining()) return undefined;
    const uid = await this.ensure(vmId);
    return { uid, gid: uid };
  }
}
