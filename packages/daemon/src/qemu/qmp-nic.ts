/**
 * NICs of a running VM over QMP: attaching (hotplug), detaching and listing them. The objects are
 * those of `nicObjects`, so a NIC attached here and one from the command line are found and
 * detached alike. Every step checks what QEMU has before acting, so each function may be
 * repeated, and may be called after a previous call was interrupted.
 *
 * QEMU only opens the tap device named in the spec; creating it, putting it on a bridge and
 * deleting it after the NIC is gone are the caller's job. QEMU runs in the network namespace the
 * tap lives in, and opening a tap that does not exist there creates a new, unconnected one.
 *
 * Detaching needs the guest's cooperation: on the pc machine `device_del` only asks the guest
 * (an ACPI PCI hotplug eject request) and QEMU removes the device when the guest has released
 * it, announced by DEVICE_DELETED. A guest without ACPI PCI hotplug support never does.
 */
import { Type } from '@sinclair/typebox';
import { validateNic } from './build-argv.js';
import type { NicSpec } from './launch-spec.js';
import { nicNames, nicObjects, PORT_FORWARD_NIC_ID } from './nic-objects.js';
import type { QmpClient } from './qmp-client.js';
import { peripheralDevices, qemuMessage, releaseDevice } from './qmp-device.js';
import { QmpCommandError } from './qmp-errors.js';
import { EmptyReturnSchema } from './qmp-messages.js';
import type { JsonObject } from './qmp-messages.js';

/** A NIC could not be attached or detached; `qemuMessage` is QEMU's own explanation (or herd's, for a conflict). */
export class NicOperationError extends Error {
  constructor(
    readonly nicId: string,
    readonly operation: 'attach' | 'detach',
    readonly qemuMessage: string,
    options?: ErrorOptions,
  ) {
    super(`cannot ${operation} NIC '${nicId}': ${qemuMessage}`, options);
    this.name = 'NicOperationError';
  }
}

/** The guest did not release a NIC within the timeout of `unplugNic`; the device is still attached. */
export class NicReleaseTimeoutError extends Error {
  constructor(
    readonly nicId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `the guest did not release NIC '${nicId}' within ${timeoutMs} ms: it may lack ACPI PCI hotplug support or not have ` +
        'booted far enough to handle it. The NIC stays attached; retry later, or stop the VM to detach it.',
    );
    this.name = 'NicReleaseTimeoutError';
  }
}

/** Options for {@link unplugNic}. */
export interface UnplugNicOptions {
  /** How long the guest has to release the device. */
  readonly timeoutMs: number;
}

const VIRTIO_NET = 'child<virtio-net-pci>';

const MacSchema = Type.String();

/**
 * Attaches `nic` to the running VM: a tap netdev on `nic.tap`, then a virtio-net-pci device on
 * it. Does nothing if a virtio-net device with the NIC's id and MAC is already attached; a
 * netdev left without its device by an interrupted attach or detach is replaced. On failure
 * undoes its own steps and throws {@link NicOperationError} with QEMU's message (also when the
 * id is taken by another device, or by a NIC with another MAC); throws `InvalidLaunchSpecError`
 * for a NIC QEMU would reject. Call while QEMU runs (the guest may be paused), after the tap
 * exists; not concurrently with another call for the same NIC.
 */
export async function hotplugNic(qmp: QmpClient, nic: NicSpec): Promise<void> {
  validateNic(nic);
  const type = (await peripheralDevices(qmp)).get(nic.id);
  if (type === VIRTIO_NET) {
    const mac = await readMac(qmp, nic.id);
    if (mac === nic.mac.toLowerCase()) return;
    throw new NicOperationError(nic.id, 'attach', `a NIC with this id is already attached with MAC ${mac}; detach it first`);
  }
  if (type !== undefined) throw new NicOperationError(nic.id, 'attach', `the id is taken by a device of type ${type}`);
  const names = nicNames(nic.id);
  const o = nicObjects(nic);
  let netdevAdded = false;
  try {
    await releaseNetdev(qmp, nic.id);
    await run(qmp, 'netdev_add', o.netdev);
    netdevAdded = true;
    await run(qmp, 'device_add', o.device);
  } catch (e) {
    // Best effort: a netdev that survives is replaced by the next attach or removed by a detach.
    if (netdevAdded) await run(qmp, 'netdev_del', { id: names.netdev }).catch(() => undefined);
    throw new NicOperationError(nic.id, 'attach', qemuMessage(e), { cause: e });
  }
}

/**
 * Detaches the NIC `nicId`: asks the guest to release the device, waits for QEMU to remove it,
 * then deletes its tap netdev, closing the tap (the tap device itself stays, for the caller to
 * delete). Does nothing for what is already gone, so it also finishes a detach that was
 * interrupted. Throws {@link NicReleaseTimeoutError} if the guest does not release the device
 * within `timeoutMs` (the NIC stays; a later call asks again), {@link NicOperationError} if QEMU
 * refuses a step or `nicId` names a device that is not a herd NIC (the port-forward NIC is not), and
 * `QmpDisconnectedError` if QEMU goes away meanwhile. Call while QEMU runs; not concurrently with
 * another call for the same NIC.
 */
export async function unplugNic(qmp: QmpClient, nicId: string, options: UnplugNicOptions): Promise<void> {
  if (nicId === PORT_FORWARD_NIC_ID) {
    throw new NicOperationError(nicId, 'detach', 'it is the port-forward NIC, which goes with the port forwards, not on its own');
  }
  const outcome = await releaseDevice(qmp, nicId, VIRTIO_NET, options.timeoutMs, {
    wrongType: (type) => new NicOperationError(nicId, 'detach', `device '${nicId}' is a ${type}, not a virtio-net NIC`),
    failed: (message, cause) => new NicOperationError(nicId, 'detach', message, { cause }),
  });
  if (outcome === 'timeout') throw new NicReleaseTimeoutError(nicId, options.timeoutMs);
  try {
    await releaseNetdev(qmp, nicId);
  } catch (e) {
    throw new NicOperationError(nicId, 'detach', qemuMessage(e), { cause: e });
  }
}

/**
 * Ids of the virtio-net devices attached to the VM, sorted, including one whose detach the guest
 * has not completed yet, and leaving out the port-forward NIC (`nic0`), which is not a herd NIC;
 * for comparing the wanted NICs with the present ones. Call while QEMU runs.
 */
export async function listNics(qmp: QmpClient): Promise<string[]> {
  const devices = await peripheralDevices(qmp);
  // QOM lists children in hash-table order, which says nothing about the guest's order.
  return [...devices].filter(([id, type]) => type === VIRTIO_NET && id !== PORT_FORWARD_NIC_ID).map(([id]) => id).sort();
}

/**
 * The MAC address of the NIC `nicId` as QEMU reports it (lower case), or `undefined` if no
 * virtio-net device has that id; for checking a NIC found attached against the wanted one. Call
 * while QEMU runs.
 */
export async function nicMac(qmp: QmpClient, nicId: string): Promise<string | undefined> {
  if ((await peripheralDevices(qmp)).get(nicId) !== VIRTIO_NET) return undefined;
  return readMac(qmp, nicId);
}

/** The `mac` property of the virtio-net device `nicId`, lower case. */
async function readMac(qmp: QmpClient, nicId: string): Promise<string> {
  const mac = await qmp.execute('qom-get', { path: `/machine/peripheral/${nicId}`, property: 'mac' }, MacSchema);
  return mac.toLowerCase();
}



/**
 * Deletes the NIC's netdev if it exists; the device must be gone. (QEMU 7.2 has no command that
 * lists netdevs, so the delete itself is the check.) With the device still present, netdev_del
 * would not delete the netdev but cut the NIC's link until the device went.
 */
async function releaseNetdev(qmp: QmpClient, nicId: string): Promise<void> {
  try {
    await run(qmp, 'netdev_del', { id: nicNames(nicId).netdev });
  } catch (e) {
    if (!(e instanceof QmpCommandError && e.class === 'DeviceNotFound')) throw e;
  }
}


async function run(qmp: QmpClient, command: string, args: JsonObject): Promise<void> {
  await qmp.execute(command, args, EmptyReturnSchema);
}

