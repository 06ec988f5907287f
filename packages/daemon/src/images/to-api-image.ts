/** Converts image rows to the API's Image objects. */
import type { Image } from '@herd/api';
import type { ImageRow } from '../store/schema.js';

/** The API form of an image row, with the names of the VMs that use it. */
export function toApiImage(row: ImageRow, usedBy: string[]): Image {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    format: row.format,
    virtualSize: Number(row.virtual_size),
    actualSize: Number(row.actual_size),
    source: row.source,
    kernelCmdline: row.kernel_cmdline,
    minMemoryMiB: row.min_memory_mib,
    usedBy,
    createdAt: row.created_at,
  };
}
