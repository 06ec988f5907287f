/**
 * The QEMU objects one herd disk is made of (an optional LUKS secret, a protocol node, a format
 * node and a virtio-blk device), described once as QMP argument objects. `buildArgv` renders
 * them as `-object`/`-blockdev`/`-device` options and `hotplugDisk` sends them as
 * `object-add`/`blockdev-add`/`device_add`, so a cold-plugged and a hot-plugged disk are the same
 * disk, and the names derived from the disk id find it again in either case.
 */
import { escapeOptionValue } from './escape.js';
import type { DiskSpec } from './launch-spec.js';
import type { JsonObject, JsonValue } from './qmp-messages.js';

/** The QEMU ids derived from a disk id. Pure. */
export function diskNames(diskId: string): { readonly secret: string; readonly protocolNode: string; readonly formatNode: string } {
  return { secret: `${diskId}-key`, protocolNode: `${diskId}-file`, formatNode: `${diskId}-fmt` };
}

/** A disk's QEMU objects, each in the argument shape of the QMP command that creates it. */
export interface DiskObjects {
  /** `object-add` arguments of the LUKS passphrase secret; present iff the disk has a `secretFile`. */
  readonly secret?: JsonObject;
  /** `blockdev-add` arguments of the protocol (`file`/`host_device`) node. */
  readonly protocolNode: JsonObject;
  /** `blockdev-add` arguments of the format (`qcow2`/`raw`) node, stacked on the protocol node. */
  readonly formatNode: JsonObject;
  /** `device_add` arguments of the virtio-blk-pci device. */
  readonly device: JsonObject;
}

/**
 * Describes `disk` as QEMU objects; `bootindex` is set on the device when given. Does not
 * validate (see `validateDisk`). Pure.
 */
export function diskObjects(disk: DiskSpec, bootindex?: number): DiskObjects {
  const names = diskNames(disk.id);
  const ro: JsonObject = disk.readOnly ? { 'read-only': true } : {};
  const secret: JsonObject | undefined =
    disk.secretFile === undefined ? undefined : { 'qom-type': 'secret', id: names.secret, file: disk.secretFile, format: 'raw' };
  return {
    ...(secret ? { secret } : {}),
    protocolNode: { driver: disk.driver ?? 'file', 'node-name': names.protocolNode, filename: disk.path, ...ro },
    formatNode: {
      driver: disk.format,
      'node-name': names.formatNode,
      file: names.protocolNode,
      // QEMU requires the format here too, although the image header already names it.
      ...(secret ? { encrypt: { format: 'luks', 'key-secret': names.secret } } : {}),
      ...ro,
    },
    device: {
      driver: 'virtio-blk-pci',
      drive: names.formatNode,
      id: disk.id,
      // An I/O error pauses the VM (BLOCK_IO_ERROR) rather than letting the guest write on and
      // corrupt its data; herd reports it and waits for the operator.
      werror: 'stop',
      rerror: 'stop',
      ...(disk.serial === undefined ? {} : { serial: disk.serial }),
      ...(bootindex === undefined ? {} : { bootindex }),
    },
  };
}

/**
 * Renders QMP arguments as a command-line `key=value,...` option: nested objects become dotted
 * keys (`encrypt.format=luks`), booleans `on`/`off`, and string values are escaped with
 * `escapeOptionValue`. With `implied`, that key's value leads without its name, as `-device`
 * and `-object` expect (`virtio-blk-pci,drive=...`). Throws `UnsafeOptionValueError` for NUL or
 * newlines. Pure.
 */
export function renderOption(args: JsonObject, implied?: 'driver' | 'qom-type'): string {
  const head = implied === undefined ? [] : [scalar(args[implied])];
  const rest = Object.entries(args).filter(([k]) => k !== implied);
  return [...head, ...flatten('', rest)].join(',');
}

function flatten(prefix: string, entries: readonly (readonly [string, JsonValue])[]): string[] {
  return entries.flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? flatten(`${prefix}${k}.`, Object.entries(v as JsonObject))
      : [`${prefix}${k}=${scalar(v)}`],
  );
}

function scalar(v: JsonValue | undefined): string {
  if (typeof v === 'string') return escapeOptionValue(v);
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'number') return String(v);
  throw new Error(`cannot render ${JSON.stringify(v)} as a QEMU option value`);
}
