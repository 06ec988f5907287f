/** qemu-img, the tool that makes and inspects disk images. Its JSON output is decoded here. */
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ExecError, run } from '../host/exec.js';
import { escapeOptionValue } from '../qemu/escape.js';

const ImageInfo = Type.Object({
  format: Type.String(),
  'virtual-size': Type.Number(),
  'actual-size': Type.Optional(Type.Number()),
  'backing-filename': Type.Optional(Type.String()),
  encrypted: Type.Optional(Type.Boolean()),
  // A qcow2 may keep its data in another file of the host (`data_file`); read from an image of
  // unknown origin, that would copy a host file into the image.
  'format-specific': Type.Optional(Type.Object({ data: Type.Optional(Type.Object({ 'data-file': Type.Optional(Type.String()) })) })),
});
/** What `qemu-img info` says of an image. */
export type ImageInfo = Static<typeof ImageInfo>;

/** Reads an image's format and sizes. Throws when qemu-img cannot read it. */
export async function imageInfo(path: string): Promise<ImageInfo> {
  const r = await run('qemu-img', ['info', '--output=json', '-U', path], { timeoutMs: 30_000 });
  const parsed: unknown = JSON.parse(r.stdout);
  // qemu-img prints extra fields; only the ones herd uses are checked and kept.
  const info = Value.Clean(ImageInfo, Value.Clone(parsed));
  if (!Value.Check(ImageInfo, info)) throw new Error(`qemu-img info gave unexpected output for ${path}`);
  return info;
}

/**
 * Creates a qcow2 overlay at `path` backed by `backing` (a linked clone: copy-on-write, O(1) in
 * the size of the backing image), with virtual size `sizeBytes`.
 */
export async function createOverlay(path: string, backing: string, backingFormat: 'qcow2' | 'raw', sizeBytes: number): Promise<void> {
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', backingFormat, path, String(sizeBytes)], {
    timeoutMs: 30_000,
  });
}

/**
 * Copies `source` to `target` as `format`, flattening any backing chain, reporting progress
 * (0-100) as it goes.
 */
export async function convertImage(
  source: string,
  target: string,
  format: 'qcow2' | 'raw',
  onProgress?: (pct: number) => void,
): Promise<void> {
  await run('qemu-img', ['convert', '-p', '-O', format, source, target], {
    timeoutMs: 3_600_000,
    onStdout: (chunk) => {
      const m = /\((\d+(?:\.\d+)?)\/100%\)/.exec(chunk.split('\r').filter(Boolean).pop() ?? '');
      if (m && onProgress) onProgress(Number(m[1]));
    },
  });
}

// Offline operations: the image must not be open in a running QEMU (qemu-img takes write locks
// and would fail; with -U it would read metadata QEMU has not flushed yet).

/** The image formats herd uses. */
export type ImageFormat = 'qcow2' | 'raw';

/** Access to a LUKS-encrypted qcow2 image. */
export interface KeyOptions {
  /**
   * File holding the image's LUKS passphrase (qcow2 only). qemu-img reads the file itself, so the
   * passphrase is never on a command line. It must be UTF-8 text: qemu-img rejects other bytes
   * ("Data from secret sec0 is not valid UTF-8").
   */
  readonly keyFile?: string;
}

/** Options for {@link createVolumeFile}. */
export interface CreateVolumeOptions extends KeyOptions {
  /** Make a copy-on-write overlay of this image (qcow2 only). */
  readonly backing?: { readonly path: string; readonly format: ImageFormat };
  /**
   * CPU time spent deriving the LUKS key from the passphrase, paid again each time the image is
   * opened. Default: qemu-img's 2000 ms. Lower it only for throwaway images.
   */
  readonly luksIterTimeMs?: number;
}

/** {@link resizeImage} was asked to make an image smaller, which would cut off the guest's data. */
export class ImageShrinkError extends Error {
  constructor(
    readonly path: string,
    readonly currentBytes: number,
    readonly requestedBytes: number,
  ) {
    super(`${path} is ${currentBytes} bytes; shrinking it to ${requestedBytes} bytes would cut off the guest's data, so herd only grows images`);
    this.name = 'ImageShrinkError';
  }
}

/** An internal snapshot stored in a qcow2 image, as `qemu-img info` lists it. */
export interface ImageSnapshot {
  readonly name: string;
  /** Size of the saved RAM and device state; 0 for a disk-only snapshot. */
  readonly vmStateBytes: number;
  readonly createdAt: Date;
}

const SECRET_ID = 'sec0';
const SnapshotList = Type.Object({
  snapshots: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String(),
        'vm-state-size': Type.Integer({ minimum: 0 }),
        'date-sec': Type.Integer(),
        'date-nsec': Type.Integer(),
      }),
    ),
  ),
});

/**
 * Creates an empty image of `sizeBytes` at `path` (replacing any file there, as qemu-img does):
 * encrypted with LUKS when `keyFile` is given, an overlay of `backing` when given (both qcow2
 * only). Call before the image is handed to a VM.
 */
export async function createVolumeFile(path: string, format: ImageFormat, sizeBytes: number, options: CreateVolumeOptions = {}): Promise<void> {
  checkSize(sizeBytes);
  if (format !== 'qcow2' && (options.keyFile !== undefined || options.backing !== undefined)) {
    throw new Error(`a ${format} image cannot be encrypted or have a backing file; use qcow2 for ${path}`);
  }
  const luks = options.keyFile === undefined ? [] : ['encrypt.format=luks', `encrypt.key-secret=${SECRET_ID}`];
  if (luks.length > 0 && options.luksIterTimeMs !== undefined) luks.push(`encrypt.iter-time=${Math.max(1, Math.round(options.luksIterTimeMs))}`);
  const b = options.backing;
  const args = [
    'create', '-q', '-f', format,
    ...secretArgs(options.keyFile),
    ...(b ? ['-b', resolve(b.path), '-F', b.format] : []),
    ...(luks.length > 0 ? ['-o', luks.join(',')] : []),
    resolve(path),
    String(sizeBytes),
  ];
  for (let attempt = 1; ; attempt++) {
    try {
      // Deriving a LUKS key takes seconds of CPU by design; more on a loaded host.
      await run('qemu-img', args, { timeoutMs: 120_000 });
      return;
    } catch (e) {
      if (attempt >= 3 || !(e instanceof ExecError && e.result.stderr.includes(FLAKY_PBKDF_BENCHMARK))) throw e;
    }
  }
}

// QEMU 7.2 as Debian ships it (backported "run qcrypto_pbkdf2_count_iters in a new thread") times
// its PBKDF2 benchmark with getrusage, which the scheduler updates late, so a fast run can measure
// 0 ms and fail at random (about 1 create in 20 here); a new attempt measures afresh:
//   $ qemu-img create -f qcow2 --object secret,id=sec0,file=key,format=raw \
//       -o encrypt.format=luks,encrypt.key-secret=sec0 vol.qcow2 1M
//   qemu-img: vol.qcow2: Unable to get accurate CPU usage
const FLAKY_PBKDF_BENCHMARK = 'Unable to get accurate CPU usage';

/**
 * Grows the image at `path` to `sizeBytes`; does nothing if it already has that size, and throws
 * {@link ImageShrinkError} if it is larger. The guest's partitions and filesystems are not
 * touched. Call while no VM uses the image (a running VM's disk grows through QMP `block_resize`).
 */
export async function resizeImage(path: string, format: ImageFormat, sizeBytes: number, options: KeyOptions = {}): Promise<void> {
  checkSize(sizeBytes);
  const current = (await imageInfo(path))['virtual-size'];
  if (sizeBytes === current) return;
  if (sizeBytes < current) throw new ImageShrinkError(path, current, sizeBytes);
  await run('qemu-img', ['resize', '-q', ...imageArgs(path, format, options.keyFile), String(sizeBytes)], { timeoutMs: 120_000 });
}

/**
 * The internal snapshots of the qcow2 image at `path`, oldest first. Needs no key, even for an
 * encrypted image (the snapshot table is not encrypted). Reads with `-U`, so it also works on the
 * disk of a running VM, but may then miss a snapshot QEMU has not flushed yet.
 */
export async function listSnapshots(path: string): Promise<ImageSnapshot[]> {
  const r = await run('qemu-img', ['info', '--output=json', '-U', '-f', 'qcow2', resolve(path)], { timeoutMs: 30_000 });
  const parsed = Value.Clean(SnapshotList, Value.Clone(JSON.parse(r.stdout) as unknown));
  if (!Value.Check(SnapshotList, parsed)) throw new Error(`qemu-img info gave an unexpected snapshot list for ${path}`);
  return (parsed.snapshots ?? []).map((s) => ({
    name: s.name,
    vmStateBytes: s['vm-state-size'],
    createdAt: new Date(s['date-sec'] * 1000 + Math.floor(s['date-nsec'] / 1e6)),
  }));
}

/**
 * Takes an internal snapshot `name` of the qcow2 image at `path` (disk only). Does nothing if the
 * image already has a snapshot of that name: qemu-img itself would add a second one, and names
 * derived from snapshot ids make a repeated call a retry. Call while no VM uses the image.
 */
export async function snapshotCreate(path: string, name: string, options: KeyOptions = {}): Promise<void> {
  if (await hasSnapshot(path, checkName(name))) return;
  await run('qemu-img', ['snapshot', '-q', '-c', name, ...imageArgs(path, 'qcow2', options.keyFile)], { timeoutMs: 600_000 });
}

/**
 * Reverts the qcow2 image at `path` to its snapshot `name` (its disk content; saved RAM is
 * restored only by QEMU's `snapshot-load`). Repeating it is harmless. Throws if there is no such
 * snapshot. Call while no VM uses the image.
 */
export async function snapshotApply(path: string, name: string, options: KeyOptions = {}): Promise<void> {
  if (!(await hasSnapshot(path, checkName(name)))) throw new Error(`${path} has no snapshot named '${name}'`);
  await run('qemu-img', ['snapshot', '-q', '-a', name, ...imageArgs(path, 'qcow2', options.keyFile)], { timeoutMs: 600_000 });
}

/**
 * Deletes the snapshot `name` (with any saved RAM) from the qcow2 image at `path`; does nothing if
 * there is none. Call while no VM uses the image.
 */
export async function snapshotDelete(path: string, name: string, options: KeyOptions = {}): Promise<void> {
  if (!(await hasSnapshot(path, checkName(name)))) return;
  await run('qemu-img', ['snapshot', '-q', '-d', name, ...imageArgs(path, 'qcow2', options.keyFile)], { timeoutMs: 600_000 });
}

/**
 * Makes the qcow2 image at `path` name `backingPath` as its backing file, without reading either
 * (`rebase -u`): only correct when the new backing file holds the same data as the old one, e.g.
 * after moving it or after committing the old chain into it. Repeating it is harmless. Call while
 * no VM uses the image.
 */
export async function rebaseUnsafe(path: string, backingPath: string, backingFormat: ImageFormat, options: KeyOptions = {}): Promise<void> {
  await run('qemu-img', ['rebase', '-q', '-u', '-b', resolve(backingPath), '-F', backingFormat, ...imageArgs(path, 'qcow2', options.keyFile)], {
    timeoutMs: 120_000,
  });
}

/**
 * Writes the data of the qcow2 overlay at `path` into its backing file, which then holds what the
 * overlay showed. The overlay is left as it was (`-d`), so images backed by it still read the same.
 * Used to merge a backup chain: commit an incremental into the full, then rebase the next
 * incremental onto the full with {@link rebaseUnsafe}. `keyFile` opens the overlay and must also
 * open an encrypted backing file. Call while no VM uses either image.
 */
export async function commitIntoBacking(path: string, options: KeyOptions = {}): Promise<void> {
  await run('qemu-img', ['commit', '-q', '-d', ...imageArgs(path, 'qcow2', options.keyFile)], { timeoutMs: 6 * 3_600_000 });
}

async function hasSnapshot(path: string, name: string): Promise<boolean> {
  return (await listSnapshots(path)).some((s) => s.name === name);
}

/**
 * The arguments naming an existing image, always as `--image-opts` with the driver spelled out:
 * `qemu-img snapshot` has no `-f` and would otherwise probe the format (a raw disk whose guest
 * wrote a qcow2 header would be taken for qcow2), and an encrypted qcow2 needs its secret there.
 */
function imageArgs(path: string, format: ImageFormat, keyFile: string | undefined): string[] {
  if (keyFile !== undefined && format !== 'qcow2') throw new Error(`only qcow2 images are encrypted by herd; ${path} is ${format}`);
  // Absolute, so that a relative name such as "nbd:host:10809" is never taken for a protocol.
  const opts = `driver=${format},file.filename=${escapeOptionValue(resolve(path))}`;
  return keyFile === undefined ? ['--image-opts', opts] : [...secretArgs(keyFile), '--image-opts', `${opts},encrypt.key-secret=${SECRET_ID}`];
}

function secretArgs(keyFile: string | undefined): string[] {
  return keyFile === undefined ? [] : ['--object', `secret,id=${SECRET_ID},file=${escapeOptionValue(resolve(keyFile))},format=raw`];
}

function checkSize(sizeBytes: number): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw new Error(`an image size must be a positive number of bytes, got ${sizeBytes}`);
}

function checkName(name: string): string {
  // qemu-img would read "-x" after -c as the name, but a name that looks like an option is a bug.
  if (name === '' || name.startsWith('-') || /[\0\n\r]/.test(name)) throw new Error(`invalid snapshot name ${JSON.stringify(name)}`);
  return name;
}
