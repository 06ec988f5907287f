/**
 * The QEMU objects one herd NIC is made of (a tap netdev and a virtio-net device), described
 * once as QMP argument objects. `buildArgv` renders them as `-netdev`/`-device` options and
 * `hotplugNic` sends them as `netdev_add`/`device_add`, so a NIC the VM started with and one
 * hot-plugged later are the same NIC, found and removed again by the names derived from its id.
 */
import { renderOption } from './disk-objects.js';
import { escapeOptionValue } from './escape.js';
import type { NicSpec } from './launch-spec.js';
import type { JsonObject } from './qmp-messages.js';

/**
 * Device id of the user-mode NIC that carries a VM's port forwards (its netdev is `net0`). It is
 * not a herd NIC: no NIC may take the id, and `listNics` leaves it out.
 */
export const PORT_FORWARD_NIC_ID = 'nic0';

/** The QEMU ids derived from a NIC id: the device keeps the id, its tap backend is `<id>-net`. Pure. */
export function nicNames(nicId: string): { readonly netdev: string; readonly device: string } {
  return { netdev: `${nicId}-net`, device: nicId };
}

/** A NIC's QEMU objects, each in the argument shape of the QMP command that creates it. */
export interface NicObjects {
  /** `netdev_add` arguments of the tap backend. */
  readonly netdev: JsonObject;
  /** `device_add` arguments of the virtio-net-pci device. */
  readonly device: JsonObject;
}

/** Describes `nic` as QEMU objects. Does not validate (see `validateNic`). Pure. */
export function nicObjects(nic: NicSpec): NicObjects {
  const names = nicNames(nic.id);
  return {
    // herd creates, enslaves and deletes the tap itself; QEMU only opens it. script=no and
    // downscript=no stop QEMU from running /etc/qemu-ifup and /etc/qemu-ifdown, its defaults.
    netdev: { type: 'tap', id: names.netdev, ifname: nic.tap, script: 'no', downscript: 'no' },
    device: {
      driver: 'virtio-net-pci',
      netdev: names.netdev,
      id: names.device,
      mac: nic.mac,
      // Tells the guest driver the network's MTU (VIRTIO_NET_F_MTU), so it needs no DHCP option for it.
      ...(nic.mtu === undefined ? {} : { host_mtu: nic.mtu }),
    },
  };
}

/**
 * Renders `netdev_add` arguments as a `-netdev` option value (`tap,id=...`): the backend type
 * leads without its name. Throws `UnsafeOptionValueError` for NUL or newlines. Pure.
 */
export function renderNetdevOption(netdev: JsonObject): string {
  const { type, ...rest } = netdev;
  if (typeof type !== 'string') throw new Error(`netdev ${JSON.stringify(netdev)} has no type`);
  return `${escapeOptionValue(type)},${renderOption(rest)}`;
}
