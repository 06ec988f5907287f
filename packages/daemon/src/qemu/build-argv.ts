/**
 * The QEMU command line for a {@link LaunchSpec}. Pure and deterministic so it can be pinned by
 * golden files: any change to what herd asks of QEMU shows up as a reviewed diff.
 *
 * The device model is deliberately lean (`-nodefaults`, no display or NIC unless asked, virtio
 * disks only) because boot time must stay within a few percent of a minimal hand-written QEMU.
 */
import { diskObjects, renderOption } from './disk-objects.js';
import { checkVerbatimValue, escapeOptionValue } from './escape.js';
import type { CdromSpec, DiskSpec, LaunchSpec, NicSpec } from './launch-spec.js';
import { consoleSocketPath, pidfilePath, qmpSocketPath, vncSocketPath } from './launch-spec.js';
import { nicObjects, PORT_FORWARD_NIC_ID, renderNetdevOption } from './nic-objects.js';

/** The emulator herd runs for x86-64 guests (resolved through PATH by `run()`). */
export const QEMU_BINARY = 'qemu-system-x86_64';

/**
 * QEMU's seccomp filter (mode 2): no obsolete syscalls, no setuid/setgid/setsid or similar, no
 * fork/exec, no scheduler or CPU-affinity changes. A guest that escapes into QEMU stays inside it.
 *
 * QEMU 7.2 installs the filter while parsing options, before it daemonizes or drops privileges,
 * so both of those are killed by it (transcript, Debian 12, QEMU 7.2.22, as root):
 *
 *     $ qemu-system-x86_64 ... -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -daemonize
 *     Bad system call                       # exit 159 = SIGSYS: the fork of -daemonize (spawn=deny)
 *     $ ... -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=allow,resourcecontrol=deny -daemonize
 *     (exit 1, no message)                  # the daemonized child's setsid() is refused
 *     $ ... -sandbox <as above, spawn=deny> -runas 1000000001:1000000001
 *     Bad system call                       # exit 159: the setgid/setuid of -runas (also with elevateprivileges=children)
 *     $ setpriv --reuid=1000000001 --regid=1000000001 --clear-groups qemu-system-x86_64 ... -sandbox <as above>
 *     (runs; /proc/PID/status: "Uid: 1000000001 ..." and "Seccomp: 2")
 *
 * So the full sandbox rules out both -daemonize and -runas: launchQemu starts QEMU in a session
 * of its own (what -daemonize did) as the VM's user (what -runas would do) and waits for QMP.
 */
export const QEMU_SANDBOX = 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny';

/** Thrown by {@link buildArgv} for a spec QEMU would reject or misread; the message names the field. */
export class InvalidLaunchSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidLaunchSpecError';
  }
}

// QEMU ids must start with a letter; block node names are limited to 31 bytes, and we append
// "-file"/"-fmt" (5 bytes at most) to the disk id.
const DISK_ID = /^[A-Za-z][A-Za-z0-9_-]{0,25}$/;
// virtio-blk carries at most 20 bytes of serial; the characters are the ones udev keeps
// unchanged in /dev/disk/by-id names.
const SERIAL = /^[A-Za-z0-9._-]{1,20}$/;
// NIC ids follow disk ids: both are device ids in the same QEMU namespace (/machine/peripheral).
const NIC_ID = DISK_ID;
// Device ids buildArgv gives devices of its own: the CD-ROM and the port-forward NIC.
const RESERVED_DEVICE_IDS: ReadonlySet<string> = new Set(['cdrom', PORT_FORWARD_NIC_ID]);
const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
// Linux interface names: at most 15 bytes (IFNAMSIZ - 1); this subset needs no quoting anywhere.
const TAP_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
// Linux's virtio-net driver ignores a host_mtu below ETH_MIN_MTU; QEMU stores it in 16 bits.
const MIN_MTU = 68;
const MAX_MTU = 65_535;
// sun_path is 108 bytes including the terminating NUL; QEMU (and node:net) refuse longer paths.
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Returns QEMU's arguments (without the binary name; see {@link QEMU_BINARY}) for `spec`. Throws
 * {@link InvalidLaunchSpecError} for invalid sizes, disk ids or socket paths, and
 * `UnsafeOptionValueError` for values containing NUL or newlines. Pure; may be called anywhere.
 */
export function buildArgv(spec: LaunchSpec): string[] {
  validate(spec);
  const e = escapeOptionValue;
  const qmp = qmpSocketPath(spec.runDir);
  const consoleSock = consoleSocketPath(spec.runDir);
  return [
    '-name', `guest=${e(spec.name)},debug-threads=on`,
    '-uuid', checkVerbatimValue(spec.uuid),
    '-machine', 'pc',
    '-accel', spec.accel,
    // TCG cannot pass through the host CPU; "max" gives the guest every feature TCG emulates.
    '-cpu', spec.accel === 'kvm' ? 'host' : 'max',
    '-smp', String(spec.cpus),
    '-m', `${spec.memoryMiB}M`,
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    ...displayArgs(spec),
    // No -daemonize and no -runas: see QEMU_SANDBOX. launchQemu starts QEMU detached, already as
    // the VM's own user, and waits for QMP to answer.
    '-sandbox', QEMU_SANDBOX,
    '-pidfile', checkVerbatimValue(pidfilePath(spec.runDir)),
    '-chardev', `socket,id=qmp,path=${e(qmp)},server=on,wait=off`,
    '-mon', 'chardev=qmp,mode=control',
    // logfile= records all guest output even while no console client is connected.
    '-chardev', `socket,id=serial0,path=${e(consoleSock)},server=on,wait=off,logfile=${e(spec.consoleLog)},logappend=on`,
    '-serial', 'chardev:serial0',
    // With -kernel, QEMU's linuxboot option ROM holds bootindex 0; the root disk only gets a
    // bootindex when the firmware boots, and yields 0 to a CD-ROM booted from.
    ...spec.disks.flatMap((d, i) => diskArgs(d, i === 0 && spec.boot.kind === 'firmware' ? (spec.cdrom?.boot ? 1 : 0) : undefined)),
    ...(spec.cdrom === undefined ? [] : cdromArgs(spec.cdrom)),
    ...bootArgs(spec.boot),
    // A guest kernel panic is reported to QEMU (GUEST_PANICKED), which then shuts down, so the
    // panic reaches herd as an exit with a reason instead of a silently hung guest.
    '-device', 'pvpanic-pci',
    ...watchdogArgs(spec.watchdog ?? 'off'),
    // Tap NICs come before the port-forward NIC: devices get PCI slots in command-line order, so
    // nics[0] is the guest's first NIC (eth0), and QEMU's automatic MAC for nic0 avoids theirs.
    ...(spec.nics ?? []).flatMap(nicArgs),
    ...userNetArgs(spec.portForwards ?? []),
    // An incoming guest runs on this host only once the caller has seen the source let go of it.
    ...(spec.startPaused || spec.incoming ? ['-S'] : []),
    ...(spec.incoming ? ['-incoming', 'defer'] : []),
  ];
}

function diskArgs(disk: DiskSpec, bootindex: number | undefined): string[] {
  const o = diskObjects(disk, bootindex);
  return [
    // The secret names the passphrase's file, never the passphrase: argv is world-readable in /proc.
    ...(o.secret ? ['-object', renderOption(o.secret, 'qom-type')] : []),
    '-blockdev', renderOption(o.protocolNode),
    '-blockdev', renderOption(o.formatNode),
    '-device', renderOption(o.device, 'driver'),
  ];
}

function cdromArgs(cdrom: CdromSpec): string[] {
  // The pc machine's built-in PIIX IDE controller takes the drive: no controller to add.
  return [
    '-blockdev', `driver=file,node-name=cdrom-file,filename=${escapeOptionValue(cdrom.path)},read-only=on`,
    '-blockdev', 'driver=raw,node-name=cdrom-fmt,file=cdrom-file,read-only=on',
    '-device', `ide-cd,drive=cdrom-fmt,id=cdrom${cdrom.boot ? ',bootindex=0' : ''}`,
  ];
}

function displayArgs(spec: LaunchSpec): string[] {
  if (spec.display !== 'vnc') return [];
  // No local window (-display none stays); the screen goes to a VNC server on a unix socket in
  // the VM's 0700 runtime directory, which only the daemon's relay reaches: never a TCP port.
  return ['-vga', 'std', '-vnc', `unix:${escapeOptionValue(vncSocketPath(spec.runDir))}`];
}

function watchdogArgs(action: NonNullable<LaunchSpec['watchdog']>): string[] {
  if (action === 'off') return [];
  return ['-device', 'i6300esb', '-action', `watchdog=${action}`];
}

function nicArgs(nic: NicSpec): string[] {
  const o = nicObjects(nic);
  return ['-netdev', renderNetdevOption(o.netdev), '-device', renderOption(o.device, 'driver')];
}

function userNetArgs(forwards: NonNullable<LaunchSpec['portForwards']>): string[] {
  if (forwards.length === 0) return [];
  // Forwards listen on loopback only: exposing a guest port beyond the host is a network
  // decision (the network issue's job), not a side effect of a health check.
  const fwd = forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('');
  return ['-netdev', `user,id=net0${fwd}`, '-device', `virtio-net-pci,netdev=net0,id=${PORT_FORWARD_NIC_ID}`];
}

function bootArgs(boot: LaunchSpec['boot']): string[] {
  if (boot.kind === 'firmware') return [];
  // -kernel, -initrd and -append take their argument verbatim: doubling commas here would break them.
  return [
    '-kernel', checkVerbatimValue(boot.kernel),
    ...(boot.initrd === undefined ? [] : ['-initrd', checkVerbatimValue(boot.initrd)]),
    '-append', checkVerbatimValue(boot.cmdline),
  ];
}

/**
 * Throws {@link InvalidLaunchSpecError} if QEMU would reject or misread `disk` (its id, serial,
 * or a secret on a format that cannot use one). Paths are checked where they are rendered. Pure;
 * may be called anywhere, and is called for every disk by {@link buildArgv} and `hotplugDisk`.
 */
export function validateDisk(disk: DiskSpec): void {
  const id = JSON.stringify(disk.id);
  if (!DISK_ID.test(disk.id)) {
    throw new InvalidLaunchSpecError(`disk id ${id} must be a letter followed by up to 25 letters, digits, '-' or '_'`);
  }
  if (disk.serial !== undefined && !SERIAL.test(disk.serial)) {
    throw new InvalidLaunchSpecError(`serial ${JSON.stringify(disk.serial)} of disk ${id} must be 1 to 20 letters, digits, '.', '_' or '-'`);
  }
  if (disk.secretFile !== undefined && disk.format !== 'qcow2') {
    throw new InvalidLaunchSpecError(`disk ${id} has a secretFile, but only qcow2 images are opened with a LUKS passphrase (format is ${disk.format})`);
  }
}

/**
 * Throws {@link InvalidLaunchSpecError} if QEMU would reject or misread `nic` (its id, tap name,
 * MAC or MTU), or if its MAC is not one herd may give a VM (unicast and locally administered, so
 * it can never clash with a vendor's hardware). Pure; may be called anywhere, and is called for
 * every NIC by {@link buildArgv} and `hotplugNic`.
 */
export function validateNic(nic: NicSpec): void {
  const id = JSON.stringify(nic.id);
  if (!NIC_ID.test(nic.id)) {
    throw new InvalidLaunchSpecError(`NIC id ${id} must be a letter followed by up to 25 letters, digits, '-' or '_'`);
  }
  if (RESERVED_DEVICE_IDS.has(nic.id)) throw new InvalidLaunchSpecError(`NIC id ${id} is reserved for a device herd adds itself; choose another`);
  if (!TAP_NAME.test(nic.tap) || nic.tap === '.' || nic.tap === '..') {
    throw new InvalidLaunchSpecError(`tap ${JSON.stringify(nic.tap)} of NIC ${id} must be an interface name of 1 to 15 letters, digits, '.', '_' or '-'`);
  }
  const firstOctet = Number.parseInt(nic.mac.slice(0, 2), 16);
  // Bit 0 of the first octet marks a multicast address, bit 1 a locally administered one.
  if (!MAC.test(nic.mac) || (firstOctet & 1) !== 0 || (firstOctet & 2) === 0) {
    throw new InvalidLaunchSpecError(
      `MAC ${JSON.stringify(nic.mac)} of NIC ${id} must be a unicast, locally administered address such as 52:54:00:12:34:56`,
    );
  }
  if (nic.mtu !== undefined && (!Number.isInteger(nic.mtu) || nic.mtu < MIN_MTU || nic.mtu > MAX_MTU)) {
    throw new InvalidLaunchSpecError(`mtu of NIC ${id} must be an integer from ${MIN_MTU} to ${MAX_MTU}, got ${nic.mtu}`);
  }
}

function validate(spec: LaunchSpec): void {
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1) throw new InvalidLaunchSpecError(`cpus must be a positive integer, got ${spec.cpus}`);
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 1) {
    throw new InvalidLaunchSpecError(`memoryMiB must be a positive integer, got ${spec.memoryMiB}`);
  }
  const seen = new Set<string>();
  for (const d of spec.disks) {
    validateDisk(d);
    if (seen.has(d.id)) throw new InvalidLaunchSpecError(`disk id ${JSON.stringify(d.id)} is used twice`);
    seen.add(d.id);
  }
  validateNics(spec.nics ?? [], seen);
  if (spec.cdrom?.boot && spec.boot.kind !== 'firmware') {
    throw new InvalidLaunchSpecError('cdrom.boot needs firmware boot: with a kernel given, QEMU boots that kernel and never the CD-ROM');
  }
  for (const p of [qmpSocketPath(spec.runDir), consoleSocketPath(spec.runDir), ...(spec.display === 'vnc' ? [vncSocketPath(spec.runDir)] : [])]) {
    if (Buffer.byteLength(p) > MAX_SOCKET_PATH_BYTES) {
      throw new InvalidLaunchSpecError(`socket path ${p} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter runDir`);
    }
  }
}

/** Validates each NIC and that no id (among `deviceIds`, the disks'), MAC or tap is used twice. */
function validateNics(nics: readonly NicSpec[], deviceIds: Set<string>): void {
  const macs = new Set<string>();
  const taps = new Set<string>();
  for (const n of nics) {
    validateNic(n);
    if (deviceIds.has(n.id)) throw new InvalidLaunchSpecError(`NIC id ${JSON.stringify(n.id)} is used twice (NICs and disks share one id space)`);
    deviceIds.add(n.id);
    // QEMU accepts either case; the guest, and two NICs on one segment, would not tell them apart.
    const mac = n.mac.toLowerCase();
    if (macs.has(mac)) throw new InvalidLaunchSpecError(`MAC ${n.mac} is given to two NICs; each NIC needs its own`);
    macs.add(mac);
    // A tap carries one NIC: QEMU cannot open a single-queue tap twice.
    if (taps.has(n.tap)) throw new InvalidLaunchSpecError(`tap ${JSON.stringify(n.tap)} is given to two NICs; each NIC needs its own`);
    taps.add(n.tap);
  }
}
