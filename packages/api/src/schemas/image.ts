/** Images: immutable disks (and kernels) that VMs are created from. */
import { Type, type Static } from '@sinclair/typebox';
import { Name, Nullable, Timestamp, Uuid } from './common.js';

/**
 * An image. `kernel` images boot a kernel+initrd directly and carry a data disk; `disk` images
 * boot through firmware; `iso` images are ISO 9660 (CD-ROM) images, kept raw and attached to VMs
 * as a cdrom, never booted as a disk.
 */
export const Image = Type.Object(
  {
    id: Uuid,
    name: Name,
    kind: Type.Union([Type.Literal('kernel'), Type.Literal('disk'), Type.Literal('iso')]),
    format: Type.Union([Type.Literal('qcow2'), Type.Literal('raw')]),
    virtualSize: Type.Integer({ description: 'disk size seen by guests, bytes' }),
    actualSize: Type.Integer({ description: 'bytes used on the host' }),
    source: Type.String(),
    kernelCmdline: Nullable(Type.String()),
    minMemoryMiB: Nullable(Type.Integer({ description: 'least memory a VM of this image boots with' })),
    usedBy: Type.Array(Type.String(), { description: 'names of VMs whose disks depend on this image' }),
    createdAt: Timestamp,
  },
  { $id: 'Image' },
);
/** An image. */
export type Image = Static<typeof Image>;

/** Body of `POST /images/build`. */
export const ImageBuild = Type.Object(
  {
    recipe: Type.Literal('tiny'),
    name: Type.Optional(Name),
    force: Type.Optional(Type.Boolean({ description: 'rebuild even if the image exists' })),
  },
  { additionalProperties: false, $id: 'ImageBuild' },
);
/** Body of `POST /images/build`. */
export type ImageBuild = Static<typeof ImageBuild>;

/**
 * Body of `POST /images/import`: where the image comes from, `path` or `url` (exactly one; the
 * daemon answers validation_failed naming the field otherwise), and optionally its checksum.
 */
export const ImageImport = Type.Object(
  {
    name: Name,
    path: Type.Optional(
      Type.String({ minLength: 1, maxLength: 4096, description: 'absolute path of a qcow2, raw or ISO image on the daemon host; give this or url' }),
    ),
    url: Type.Optional(
      Type.String({ minLength: 1, maxLength: 4096, description: 'http:// or https:// URL the daemon downloads a qcow2, raw or ISO image from; give this or path' }),
    ),
    sha256: Type.Optional(
      Type.String({
        pattern: '^[0-9a-fA-F]{64}$',
        description: 'SHA-256 of the bytes imported, in hex; when they differ the import fails with checksum_mismatch and keeps nothing',
      }),
    ),
  },
  { additionalProperties: false, $id: 'ImageImport' },
);
/** Body of `POST /images/import`. */
export type ImageImport = Static<typeof ImageImport>;
