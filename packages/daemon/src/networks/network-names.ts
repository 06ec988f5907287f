/**
 * Names of what herd makes on the host for networks, derived from ids so that doing something
 * twice finds the same thing, and a sweep after a crash can tell herd's own leftovers by prefix.
 * Linux limits interface names to 15 bytes.
 */

import { BRIDGE_PREFIX, TAP_PREFIX, VXLAN_PREFIX, bridgeName, tapName, vxlanName } from '../net/link-names.js';

/** Prefix of herd's bridges. */
export const bridgePrefix = BRIDGE_PREFIX;
/** Prefix of herd's tap devices. */
export const tapPrefix = TAP_PREFIX;

/** Prefix of herd's VXLAN devices. */
export const vxlanPrefix = VXLAN_PREFIX;

/** The bridge of a nat, isolated or vxlan network. */
export const bridgeNameFor = bridgeName;

/** The VXLAN device of a vxlan network, a port of its bridge. */
export const vxlanNameFor = vxlanName;

/** The tap device of a NIC. */
export const tapNameFor = tapName;

/** The QEMU device id of a NIC. */
export function nicDeviceId(nicId: string): string {
  return `n${nicId.replaceAll('-', '').slice(0, 12)}`;
}

/** The DNS domain of a network's VM names. */
export function domainOf(networkName: string): string {
  return `${networkName}.herd`;
}
