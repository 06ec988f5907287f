/**
 * Disks of a running VM over QMP: attaching (hotplug), detaching, listing and growing them. The
 * objects are those of `diskObjects`, so a disk attached here and one from the command line are
 * found, resized and detached alike. Every step checks what QEMU has before acting, so each
 * function may be repeated, and may be called after a previous call was interrupted.
 *
 * Detaching needs the guest's cooperation: on the pc machine `device_del` only asks the guest
 * (an ACPI PCI hotplug eject request) and QEMU removes the device when the guest has released
 * it, announced by DEVICE_DELETED. A guest without ACPI PCI hotplug support never does.
 */
import { Type } from '@sinclair/typebox';
import { validateDisk } from './build-argv.js';
import { diskNames, diskObjects } from './disk-objects.js';
import { topNode } from './qmp-nodes.js';
import type { DiskSpec } from './launch-spec.js';
import type { QmpClient } from './qmp-client.js';
import { peripheralDevices, qemuMessage, qomChildren, releaseDevice } from './qmp-device.js';
import { EmptyReturnSchema } from './qmp-messages.js';
import type { JsonObject } from './qmp-messages.js';

/** A disk could not be attached, detached or resized; `qemuMessage` is QEMU's own explanation. */
export class DiskOperationError extends Error {
  constructor(
    readonly diskId: string,
    readonly operation: 'attach' | 'detach' | 'resize',
    readonly qemuMessage: string,
    options?: ErrorOptions,
  ) {
    super(`cannot ${operation} disk '${diskId}': ${qemuMessage}`, options);
    this.name = 'DiskOperationError';
  }
}

/** The guest did not release a disk within the timeout of `unplugDisk`; the device is still attached. */
export class DiskReleaseTimeoutError extends Error {
  constructor(
    readonly diskId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `the guest did not release disk '${diskId}' within ${timeoutMs} ms: it may lack ACPI PCI hotplug support or not have ` +
        'booted far enough to handle it. The disk stays attached; retry later, or stop the VM to detach it.',
    );
    this.name = 'DiskReleaseTimeoutError';
  }
}

/** Options for {@link unplugDisk}. */
export interface UnplugDiskOptions {
  /** How long the guest has to release the device. */
  readonly timeoutMs: number;
}

// Opening a LUKS header runs PBKDF2 for as long as the image's creator chose (qemu-img's default
// iter-time is 2 s of CPU), and QEMU does it inside the blockdev-add command.
const OPEN_TIMEOUT_MS = 30_000;
const VIRTIO_BLK = 'child<virtio-blk-pci>';

const NamedNodesSchema = Type.Array(
  Type.Object({ 'node-name': Type.String(), image: Type.Object({ 'virtual-size': Type.Integer({ minimum: 0 }) }) }),
);

/**
 * Attaches `disk` to the running VM as a virtio-blk device (I/O errors stop the VM, as for
 * cold-plugged disks). Does nothing if a virtio-blk device with the disk's id is already attached;
 * leftovers of an interrupted attach or detach (nodes or secret without the device) are replaced.
 * On failure undoes its own steps and throws {@link DiskOperationError} with QEMU's message;
 * throws `InvalidLaunchSpecError` for a disk QEMU would reject. Call while QEMU runs (the guest
 * may be paused); not concurrently with another call for the same disk.
 */
export async function hotplugDisk(qmp: QmpClient, disk: DiskSpec): Promise<void> {
  validateDisk(disk);
  const type = (await peripheralDevices(qmp)).get(disk.id);
  if (type === VIRTIO_BLK) return;
  if (type !== undefined) throw new DiskOperationError(disk.id, 'attach', `the id is taken by a device of type ${type}`);
  const names = diskNames(disk.id);
  const o = diskObjects(disk);
  const undo: (() => Promise<unknown>)[] = [];
  try {
    await releaseBackend(qmp, disk.id);
    if (o.secret) {
      await run(qmp, 'object-add', o.secret);
      undo.push(() => run(qmp, 'object-del', { id: names.secret }));
    }
    await run(qmp, 'blockdev-add', o.protocolNode);
    undo.push(() => run(qmp, 'blockdev-del', { 'node-name': names.protocolNode }));
    await run(qmp, 'blockdev-add', o.formatNode, OPEN_TIMEOUT_MS);
    undo.push(() => run(qmp, 'blockdev-del', { 'node-name': names.formatNode }));
    await run(qmp, 'device_add', o.device);
  } catch (e) {
    // Best effort: whatever survives is replaced by the next attach or removed by a detach.
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw new DiskOperationError(disk.id, 'attach', qemuMessage(e), { cause: e });
  }
}

/**
 * Detaches the disk `diskId`: asks the guest to release the device, waits for QEMU to remove it,
 * then deletes its block nodes and its secret. Does nothing for what is already gone, so it also
 * finishes a detach that was interrupted. Throws {@link DiskReleaseTimeoutError} if the guest does
 * not release the device within `timeoutMs` (the device stays; a later call asks again),
 * {@link DiskOperationError} if QEMU refuses a step or `diskId` names a device that is not a
 * virtio-blk disk, and `QmpDisconnectedError` if QEMU goes away meanwhile. Call while QEMU runs;
 * not concurrently with another call for the same disk.
 */
export async function unplugDisk(qmp: QmpClient, diskId: string, options: UnplugDiskOptions): Promise<void> {
  const outcome = await releaseDevice(qmp, diskId, VIRTIO_BLK, options.timeoutMs, {
    wrongType: (type) => new DiskOperationError(diskId, 'detach', `device '${diskId}' is a ${type}, not a virtio-blk disk`),
    failed: (message, cause) => new DiskOperationError(diskId, 'detach', message, { cause }),
  });
  if (outcome === 'timeout') throw new DiskReleaseTimeoutError(diskId, options.timeoutMs);
  try {
    await releaseBackend(qmp, diskId);
  } catch (e) {
    throw new DiskOperationError(diskId, 'detach', qemuMessage(e), { cause: e });
  }
}

/**
 * Ids of the virtio-blk devices attached to the VM, including one whose detach the guest has not
 * completed yet; for comparing the wanted disks with the present ones. Call while QEMU runs.
 */
export async function listDisks(qmp: QmpClient): Promise<string[]> {
  const devices = await peripheralDevices(qmp);
  return [...devices].filter(([, type]) => type === VIRTIO_BLK).map(([id]) => id);
}

/**
 * Grows the disk `diskId` to `bytes` (a positive multiple of 512); the guest sees the new size at
 * once. Does nothing if the disk already has that size. Refuses to shrink (the guest's data past
 * the new end would be lost under it), and throws {@link DiskOperationError} for that, for an
 * unknown disk and for QEMU's refusals. Call while QEMU runs.
 */
export async function resizeDisk(qmp: QmpClient, diskId: string, bytes: number): Promise<void> {
  const fail = (message: string, cause?: unknown): DiskOperationError =>
    new DiskOperationError(diskId, 'resize', message, cause === undefined ? undefined : { cause });
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 512 !== 0) {
    throw fail(`the new size must be a positive multiple of 512 bytes, got ${bytes}`);
  }
  // The top of the disk's graph: `<id>-fmt`, or an overlay a live linked clone put on it.
  const node = await topNode(qmp, diskId).catch(() => diskNames(diskId).formatNode);
  const current = (await namedNodes(qmp)).get(node);
  if (current === undefined) throw fail(`no block node '${node}'; is the disk attached?`);
  if (bytes === current) return;
  if (bytes < current) throw fail(`it has ${current} bytes and shrinking to ${bytes} would cut off the guest's data`);
  try {
    await run(qmp, 'block_resize', { 'node-name': node, size: bytes });
  } catch (e) {
    throw fail(qemuMessage(e), e);
  }
}



/** Deletes the disk's format node, protocol node and secret, whichever exist (the device must be gone). */
async function releaseBackend(qmp: QmpClient, diskId: string): Promise<void> {
  const names = diskNames(diskId);
  const nodes = await namedNodes(qmp);
  // Overlays a live linked clone stacked on the disk go first: they hold the nodes below.
  const overlays = [...nodes.keys()].filter((n) => n.startsWith(`${diskId}-o`)).sort().reverse();
  for (const node of [...overlays, names.formatNode, names.protocolNode]) {
    if (nodes.has(node)) await run(qmp, 'blockdev-del', { 'node-name': node });
  }
  const objects = await qomChildren(qmp, '/objects');
  if (objects.has(names.secret)) await run(qmp, 'object-del', { id: names.secret });
}



/** Named block nodes with their virtual sizes. */
async function namedNodes(qmp: QmpClient): Promise<Map<string, number>> {
  const nodes = await qmp.execute('query-named-block-nodes', { flat: true }, NamedNodesSchema);
  return new Map(nodes.map((n) => [n['node-name'], n.image['virtual-size']]));
}

async function run(qmp: QmpClient, command: string, args: JsonObject, timeoutMs?: number): Promise<void> {
  await qmp.execute(command, args, EmptyReturnSchema, timeoutMs === undefined ? {} : { timeoutMs });
}

