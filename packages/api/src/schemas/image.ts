/** Images: immutable disks (and kernels) that VMs are created from. */
import { Type, type Static } from '@sinclair/typebox';
import { Name, Nullable, Timestamp, Uuid } from './common.js';

/** An image. `kernel` images boot a kernel+initrd directly and carry a data disk; `disk` images boot through firmware. */
export const Image = Type.Object(
  {
    id: Uuid,
    name: Name,
    kind: Type.Union([Type.Literal('kernel'), Type.Literal('disk')]),
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

/** Body of `POST /images/import`. */
export const ImageImport = Type.Object(
  {
    name: Name,
    path: Type.String({ minLength: 1, maxLength: 4096, description: 'absolute path of a qcow2 or raw disk image on the daemon host' }),
  },
  { additionalProperties: false, $id: 'ImageImport' },
);
/** Body of `POST /images/import`. */
export type ImageImport = Static<typeof ImageImport>;
