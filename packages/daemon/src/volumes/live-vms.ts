/** The storage services' window onto running VMs. */
import type { QmpClient } from '../qemu/qmp-client.js';

/** Access to the QEMU of a VM, serialized with the VM's reconciler. */
export interface LiveVms {
  /**
   * Runs `fn` while no reconcile pass of VM `vmId` runs (and none starts), with the QMP client
   * of its QEMU when it runs on this host, or undefined when it does not. A VM cannot start or
   * stop in the middle of `fn`.
   */
  exclusive<T>(vmId: string, fn: (qmp: QmpClient | undefined) => Promise<T>): Promise<T>;
}
