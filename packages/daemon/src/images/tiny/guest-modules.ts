/**
 * The kernel modules the tiny guest loads at boot. Kept to the minimum herd's VMs need, because
 * every module is read, signature-checked and linked by an emulated CPU under TCG.
 */

/**
 * Module names (dependencies are added from modules.dep, so only the leaves are listed).
 * Names that the kernel has built in (modules.builtin) are skipped at build time.
 */
export const GUEST_MODULES = [
  // Disks and NICs are virtio-pci devices.
  'virtio_pci',
  'virtio_blk',
  'virtio_net',
  // ext4 for /dev/vda. modules.dep does not list crc32c: ext4 and jbd2 only name it as a
  // softdep ("pre: crypto-crc32c"), and without it mounting a metadata_csum filesystem fails
  // with "Cannot load crc32c driver". The generic version works on every CPU model.
  'crc32c_generic',
  'ext4',
  // ACPI power button (QMP system_powerdown) → input device "Power Button", and evdev to
  // expose it as /dev/input/event* for busybox acpid.
  'button',
  'evdev',
  // herd's failure detection: a kernel panic is reported to QEMU through the pvpanic device
  // (GUEST_PANICKED), and a hung guest stops petting the i6300esb watchdog. Both drivers sit
  // idle when their device is absent.
  'pvpanic_pci',
  'i6300esb',
] as const;
