/**
 * The file an import starts from: what it holds (format from `qemu-img info`, ISO 9660 from its
 * bytes) and copying it into an image directory. Used for files on the host and for downloads.
 */
import { join } from 'node:path';
import { HerdError } from '@herd/api';
import type { ImageRow } from '../store/schema.js';
import { isIso9660 } from '../storage/iso9660.js';
import { convertImage, imageInfo } from '../storage/qemu-img.js';

/** What an import source holds, as far as herd cares. */
export interface SourceImage {
  readonly format: 'qcow2' | 'raw';
  /** `iso` for an ISO 9660 image (a raw image with `CD001` at 0x8001), else `disk`. */
  readonly kind: 'disk' | 'iso';
}

/** How {@link inspectSource} names the file in errors, and how far it trusts it. */
export interface InspectOptions {
  /** The path or URL the user gave, for messages. */
  readonly shownAs: string;
  /** The request field it came from (`path` or `url`). */
  readonly field: string;
  /**
   * Refuse images that refer to other files of this host (a backing file, a qcow2 data file):
   * copying one flattens those files into the image, so a download could read any host file.
   */
  readonly selfContained: boolean;
}

/** Reads what `file` holds. Throws image_source_invalid when herd cannot import it. */
export async function inspectSource(file: string, options: InspectOptions): Promise<SourceImage> {
  const bad = (reason: string) => new HerdError('image_source_invalid', { path: options.shownAs, reason, field: options.field });
  let info;
  try {
    info = await imageInfo(file);
  } catch (e) {
    throw bad(`qemu-img cannot read it: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (info.format !== 'qcow2' && info.format !== 'raw') throw bad(`its format is ${info.format}; herd imports qcow2, raw and ISO images`);
  if (options.selfContained) {
    if (info['backing-filename']) throw bad(`it is an overlay of '${info['backing-filename']}'; give a self-contained image (\`qemu-img convert\` makes one)`);
    if (info['format-specific']?.data?.['data-file']) throw bad(`its data is kept in another file ('${info['format-specific'].data['data-file']}'); give a self-contained image`);
  }
  const kind = info.format === 'raw' && (await isIso9660(file)) ? 'iso' : 'disk';
  return { format: info.format, kind };
}

/** An image row's fields for a copied import, without id, name and creation time. */
export type ImportedFields = Omit<ImageRow, 'id' | 'name' | 'created_at'>;

/**
 * Copies `file` into `dir` in its own format, flattened (images are immutable and must not
 * depend on the file they came from), reporting progress (0-100). ISO images stay raw: they are
 * attached as CD-ROMs, never converted or booted as a disk.
 */
export async function copyIntoImageDir(file: string, image: SourceImage, dir: string, source: string, onProgress: (pct: number) => void): Promise<ImportedFields> {
  const target = join(dir, image.kind === 'iso' ? 'cdrom.iso' : `disk.${image.format}`);
  await convertImage(file, target, image.format, onProgress);
  const copied = await imageInfo(target);
  return {
    kind: image.kind,
    format: image.format,
    disk_path: target,
    kernel_path: null,
    initrd_path: null,
    kernel_cmdline: null,
    min_memory_mib: null,
    virtual_size: copied['virtual-size'],
    actual_size: copied['actual-size'] ?? 0,
    source,
  };
}
