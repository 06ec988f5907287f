/**
 * Devices of a running QEMU that herd adds and removes (disks, NICs): listing them by id, and
 * the hot-unplug handshake. On the pc machine `device_del` only asks the guest (an ACPI PCI
 * hotplug eject request); QEMU removes the device once the guest lets go, announced by
 * DEVICE_DELETED. A guest without ACPI PCI hotplug support never does.
 */
import { Type } from '@sinclair/typebox';
import type { QmpClient } from './qmp-client.js';
import { QmpCommandError, QmpDisconnectedError } from './qmp-errors.js';
import { EmptyReturnSchema } from './qmp-messages.js';

const QomListSchema = Type.Array(Type.Object({ name: Type.String(), type: Type.String() }));

/** Children of a QOM path that are objects, by name, with their type (`child<virtio-blk-pci>`). Call while QEMU runs. */
export async function qomChildren(qmp: QmpClient, path: string): Promise<Map<string, string>> {
  const props = await qmp.execute('qom-list', { path }, QomListSchema);
  return new Map(props.filter((p) => p.type.startsWith('child<')).map((p) => [p.name, p.type]));
}

/** Devices created with an id (`-device`/`device_add`), by id, with their QOM type. Call while QEMU runs. */
export function peripheralDevices(qmp: QmpClient): Promise<Map<string, string>> {
  return qomChildren(qmp, '/machine/peripheral');
}

/**
 * Asks the guest to release device `id` (of QOM type `type`) and waits up to `timeoutMs` for
 * QEMU to remove it. Resolves `gone` once it is (or if it never was there), `timeout` if the
 * guest did not let go (the device stays; asking again is allowed). Throws `wrongType(actual)`
 * when `id` is another kind of device, `failed(message)` when QEMU refuses, and
 * `QmpDisconnectedError` when QEMU goes away. Call while QEMU runs.
 */
export async function releaseDevice(
  qmp: QmpClient,
  id: string,
  type: string,
  timeoutMs: number,
  errors: { wrongType: (actual: string) => Error; failed: (message: string, cause: unknown) => Error },
): Promise<'gone' | 'timeout'> {
  let released!: () => void;
  const deleted = new Promise<void>((resolve) => (released = resolve));
  // Registered before device_del: a guest can release the device before the command's reply.
  const unsubscribe = qmp.on('event', (e) => {
    if (e.event === 'DEVICE_DELETED' && e.data.device === id) released();
  });
  try {
    const actual = (await peripheralDevices(qmp)).get(id);
    if (actual === undefined) return 'gone';
    if (actual !== type) throw errors.wrongType(actual);
    try {
      // Repeating it while a request is pending is accepted (QEMU 7.2, ACPI hotplug) and asks again.
      await qmp.execute('device_del', { id }, EmptyReturnSchema);
    } catch (e) {
      if (e instanceof QmpCommandError && e.class === 'DeviceNotFound') return 'gone';
      throw errors.failed(qemuMessage(e), e);
    }
    let timer: NodeJS.Timeout | undefined;
    // The event can only be missed if the connection drops, which the race reports.
    return await Promise.race([
      deleted.then(() => 'gone' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
      qmp.disconnected.then((d) => Promise.reject(new QmpDisconnectedError('device_del', d))),
    ]).finally(() => clearTimeout(timer));
  } finally {
    unsubscribe();
  }
}

/** QEMU's own words for a failed command, or the error's message. */
export function qemuMessage(e: unknown): string {
  if (e instanceof QmpCommandError) return e.desc;
  return e instanceof Error ? e.message : String(e);
}
