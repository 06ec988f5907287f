/**
 * The QEMU command line for a {@link LaunchSpec}. Pure and deterministic so it can be pinned by
 * golden files: any change to what herd asks of QEMU shows up as a reviewed diff.
 *
 * The device model is deliberately lean (`-nodefaults`, no display, no NIC unless asked, virtio
 * disks only) because boot time must stay within a few percent of a minimal hand-written QEMU.
 */
import { diskObjects, renderOption } from './disk-objects.js';
import { checkVerbatimValue, escapeOptionValue } from './escape.js';
import type { CdromSpec, DiskSpec, LaunchSpec } from './launch-spec.js';
import { consoleSocketPath, pidfilePath, qmpSocketPath } from './launch-spec.js';

/** The emulator herd runs for x86-64 guests (resolved through PATH by `run()`). */
export const QEMU_BINARY = 'qemu-system-x86_64';

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
    // QEMU outlives the daemon: it detaches once initialized (sockets listening, pidfile written).
    '-daemonize',
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
    ...userNetArgs(spec.portForwards ?? []),
    ...(spec.startPaused ? ['-S'] : []),
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

function watchdogArgs(action: NonNullable<LaunchSpec['watchdog']>): string[] {
  if (action === 'off') return [];
  return ['-device', 'i6300esb', '-action', `watchdog=${action}`];
}

function userNetArgs(forwards: NonNullable<LaunchSpec['portForwards']>): string[] {
  if (forwards.length === 0) return [];
  // Forwards listen on loopback only: exposing a guest port beyond the host is a network
  // decision (the network issue's job), not a side effect of a health check.
  const fwd = forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('');
  return ['-netdev', `user,id=net0${fwd}`, '-device', 'virtio-net-pci,netdev=net0,id=nic0'];
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
  if (spec.cdrom?.boot && spec.boot.kind !== 'firmware') {
    throw new InvalidLaunchSpecError('cdrom.boot needs firmware boot: with a kernel given, QEMU boots that kernel and never the CD-ROM');
  }
  for (const p of [qmpSocketPath(spec.runDir), consoleSocketPath(spec.runDir)]) {
    if (Buffer.byteLength(p) > MAX_SOCKET_PATH_BYTES) {
      throw new InvalidLaunchSpecError(`socket path ${p} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter runDir`);
    }
  }
}
