/** How a volume appears to QEMU: its device id (stable, derived from the volume) and disk spec. */
import type { DiskSpec } from '../qemu/launch-spec.js';
import type { VolumeRow } from '../store/schema.js';
import type { PoolDriver } from './pool-driver.js';

/**
 * The QEMU device id of a volume: `root` for a VM's boot disk, `d` + 12 hex digits of the
 * volume id for data disks. Derived, never stored, so hot-plug after a crash finds the same id.
 */
export function deviceId(v: Pick<VolumeRow, 'id' | 'role'>): string {
  return v.role === 'root' ? 'root' : `d${v.id.replaceAll('-', '').slice(0, 12)}`;
}

/** The disk spec QEMU is given for volume `v` of a pool with driver `driver`. */
export function diskSpecOf(v: VolumeRow, driver: Pick<PoolDriver, 'blockDriver'>, keyFile: string): DiskSpec {
  const id = deviceId(v);
  return {
    id,
    path: v.path,
    format: v.format,
    driver: driver.blockDriver,
    // The serial lets a guest find a disk by id (/dev/disk/by-id/virtio-<serial>) whatever order it probes them in.
    serial: id,
    ...(v.encrypted ? { secretFile: keyFile } : {}),
  };
}
