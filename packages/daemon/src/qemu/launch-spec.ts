/**
 * What herd tells QEMU to run: the complete, already-resolved description of one VM's QEMU
 * process. Built by the reconciler from the VM spec (volume paths resolved, accelerator chosen);
 * consumed by `buildArgv` and `launchQemu`.
 */
import { join } from 'node:path';

/** Boot straight into a kernel (and optional initrd) given on the host, bypassing the firmware's boot order. */
export interface KernelBoot {
  readonly kind: 'kernel';
  readonly kernel: string;
  readonly initrd?: string;
  readonly cmdline: string;
}

/** Boot through the firmware (SeaBIOS), which boots the root disk (bootindex 0). */
export interface FirmwareBoot {
  readonly kind: 'firmware';
}

/** A disk image attached as a virtio-blk device. */
export interface DiskSpec {
  /** QEMU-id-safe identifier (letter first, then letters, digits, `-`, `_`; at most 26 chars); block node and device ids derive from it. */
  readonly id: string;
  readonly path: string;
  readonly format: 'qcow2' | 'raw';
  readonly readOnly?: boolean;
  /** QEMU's protocol driver: `file` (default) for image files, `host_device` for block devices such as LVM logical volumes. */
  readonly driver?: 'file' | 'host_device';
  /**
   * File holding the passphrase of a LUKS-encrypted qcow2 (`encrypt.format=luks`); qcow2 only.
   * QEMU reads the file itself, so the passphrase never appears on a command line or over QMP.
   */
  readonly secretFile?: string;
  /** virtio-blk serial (letters, digits, `.`, `_`, `-`; at most 20): guests with udev see /dev/disk/by-id/virtio-<serial>. */
  readonly serial?: string;
}

/**
 * A virtio-net NIC backed by a host tap device, which herd has created (and attached to its
 * network's bridge) before QEMU opens it.
 */
export interface NicSpec {
  /** QEMU-id-safe identifier (as {@link DiskSpec.id}); the device takes it, the tap netdev is `<id>-net`. `nic0` belongs to the port-forward NIC. */
  readonly id: string;
  /** Name of the existing tap device (at most 15 bytes). */
  readonly tap: string;
  /** Unicast, locally administered MAC address such as `52:54:00:12:ab:cd`; the guest sees it as the NIC's address. */
  readonly mac: string;
  /** The network's MTU, announced to the guest driver (virtio `host_mtu`); absent: the guest assumes 1500. */
  readonly mtu?: number;
}

/** A read-only raw ISO image on the pc machine's IDE bus. */
export interface CdromSpec {
  readonly path: string;
  /** Boot from it (bootindex 0, the root disk then gets 1); needs firmware boot. */
  readonly boot: boolean;
}

/** Everything needed to start one VM's QEMU process. */
export interface LaunchSpec {
  /** VM uuid; goes on the command line as `-uuid` so a reattaching daemon can verify /proc/PID/cmdline. */
  readonly uuid: string;
  /** DNS-label VM name. */
  readonly name: string;
  readonly accel: 'kvm' | 'tcg';
  readonly cpus: number;
  readonly memoryMiB: number;
  /** Per-VM runtime directory: qmp.sock, console.sock and qemu.pid live here. */
  readonly runDir: string;
  /** Serial console log file (appended to; survives daemon restarts). */
  readonly consoleLog: string;
  readonly boot: KernelBoot | FirmwareBoot;
  /** disks[0] is the root disk (bootindex 0 under firmware boot, or 1 when booting from the cdrom). */
  readonly disks: readonly DiskSpec[];
  /** An ISO attached as an IDE CD-ROM (device id `cdrom`); absent: no CD-ROM drive. */
  readonly cdrom?: CdromSpec;
  /** Start with the vCPUs stopped (`-S`); `cont` over QMP starts them. */
  readonly startPaused?: boolean;
  /**
   * Start as the destination of a live migration (`-incoming defer`, and `-S` whatever
   * `startPaused` says): QEMU waits for `listenIncoming`, receives the guest, and runs it only on
   * `cont`, which the caller sends once the source reports the migration completed, so the guest
   * never runs on two hosts. Everything else must be the spec the VM has on the source, with this
   * host's paths: device ids and block node names derive from disk and NIC ids, never from paths.
   */
  readonly incoming?: true;
  /** An i6300esb watchdog and what QEMU does when it fires; absent or `off`: no device. */
  readonly watchdog?: 'off' | 'poweroff' | 'reset' | 'pause';
  /** Host ports forwarded to guest ports through a user-mode NIC; absent or empty: no NIC. */
  readonly portForwards?: readonly { readonly hostPort: number; readonly guestPort: number }[];
  /** `vnc`: a VGA card whose screen QEMU serves over VNC on a unix socket in runDir (see {@link vncSocketPath}); absent or `none`: no display device. */
  readonly display?: 'none' | 'vnc';
  /** NICs on tap devices, in the order the guest finds them (ahead of the port-forward NIC, which they coexist with). Absent or empty: none. */
  readonly nics?: readonly NicSpec[];
  /**
   * The VM's own user and group, which QEMU is started as (the daemon must be root); runDir and
   * the console log are handed to it, and every file QEMU opens must already be (see confine/).
   * Not on the command line. Absent: QEMU runs as the daemon's user.
   */
  readonly runAs?: RunAs;
}

/** A user and group to run a VM's QEMU as (numeric; no passwd entry needed). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** Path of the QMP control socket in a VM's runtime directory. Pure. */
export function qmpSocketPath(runDir: string): string {
  return join(runDir, 'qmp.sock');
}

/** Path of the serial console socket in a VM's runtime directory. Pure. */
export function consoleSocketPath(runDir: string): string {
  return join(runDir, 'console.sock');
}

/** Path of the VNC server's socket (display `vnc`) in a VM's runtime directory; never a TCP port. Pure. */
export function vncSocketPath(runDir: string): string {
  return join(runDir, 'vnc.sock');
}

/** Path of QEMU's stdout and stderr (opened by the daemon; QEMU only inherits the descriptor) in a VM's runtime directory. Pure. */
export function qemuOutputPath(runDir: string): string {
  return join(runDir, 'qemu.out');
}

/** Path of the pidfile QEMU writes (and deletes on clean exit) in a VM's runtime directory. Pure. */
export function pidfilePath(runDir: string): string {
  return join(runDir, 'qemu.pid');
}
