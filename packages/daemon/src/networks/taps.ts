/** The tap devices of NICs: made on their network's bridge before QEMU starts, removed after it ends. */
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

  /** Makes the tap of `nic` on `net`'s bridge (tagged with the network's VLAN). Idempotent. */
  async ensure(nic: NicRow, net: NetworkRow): Promise<void> {
    await ensureTap(this.#exec, tapNameFor(nic.id), { bridge: net.bridge, mtu: net.mtu, ...(net.vlan !== null ? { vlan: net.vlan } : {}) });
  }

  /** Removes the tap of `nic`. Idempotent. */
  async remove(nic: Pick<NicRow, 'id'>): Promise<void> {
    await deleteLink(this.#exec, tapNameFor(nic.id));
  }
}
