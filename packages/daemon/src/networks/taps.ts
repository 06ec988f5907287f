/** The tap devices of NICs: made on their network's bridge before QEMU starts, removed after it ends. */
import type { VmOwner } from '../confine/vm-owner.js';
import type { NetExec } from '../net/net-exec.js';
import { deleteLink, ensureTap } from '../net/links.js';
import type { NetworkRow, NicRow } from '../store/schema.js';
import { tapNameFor } from './network-names.js';

/** Makes and removes NIC taps. */
export class Taps {
  readonly #exec: NetExec;

  constructor(exec: NetExec) {
    this.#exec = exec;
  }

  /**
   * Makes the tap of `nic` on `net`'s bridge (tagged with the network's VLAN), openable by
   * `owner` (the VM's QEMU user) when given. Idempotent; call before QEMU opens it.
   */
  async ensure(nic: NicRow, net: NetworkRow, owner: VmOwner | undefined): Promise<void> {
    await ensureTap(this.#exec, tapNameFor(nic.id), {
      bridge: net.bridge,
      mtu: net.mtu,
      ...(net.vlan !== null ? { vlan: net.vlan } : {}),
      ...(owner ? { user: owner.uid } : {}),
    });
  }

  /** Removes the tap of `nic`. Idempotent. */
  async remove(nic: Pick<NicRow, 'id'>): Promise<void> {
    await deleteLink(this.#exec, tapNameFor(nic.id));
  }
}
