/** Storage: pools, volumes, VM snapshots, clones and backups. */
import { Type, type Static } from '@sinclair/typebox';
import { Name, Nullable, Timestamp, Uuid } from './common.js';

/** Pool types: `dir` (files in a directory, also NFS or any mounted shared filesystem) and `lvm-thin` (thin LVs in a thin pool). */
export const poolTypes = ['dir', 'lvm-thin'] as const;
/** A pool type. */
export const PoolType = Type.Union(poolTypes.map((t) => Type.Literal(t)));

/** Volume formats. */
export const VolumeFormat = Type.Union([Type.Literal('qcow2'), Type.Literal('raw')]);

/** A storage pool, with its space. */
export const Pool = Type.Object(
  {
    id: Uuid,
    name: Name,
    type: PoolType,
    path: Nullable(Type.String({ description: 'dir: the directory' })),
    volumeGroup: Nullable(Type.String({ description: 'lvm-thin: the volume group' })),
    thinPool: Nullable(Type.String({ description: 'lvm-thin: the thin pool LV in the volume group' })),
    shared: Type.Boolean({ description: 'the same storage is reachable from every host (NFS, ...): live migration copies no disks' }),
    capacityBytes: Type.Integer({ description: 'size of the storage under the pool' }),
    allocatedBytes: Type.Integer({ description: 'sum of the virtual sizes of its volumes (may exceed capacity: thin provisioning)' }),
    usedBytes: Type.Integer({ description: 'bytes in use on the storage' }),
    freeBytes: Type.Integer({ description: 'bytes herd can still write (a filesystem may reserve more for root, so used + free can be less than capacity)' }),
    volumes: Type.Integer({ description: 'how many volumes it holds' }),
    createdAt: Timestamp,
  },
  { $id: 'Pool' },
);
/** A storage pool. */
export type Pool = Static<typeof Pool>;

/** Body of `POST /pools`. */
export const PoolCreate = Type.Object(
  {
    name: Name,
    type: PoolType,
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'dir: an absolute directory path (made if missing)' })),
    volumeGroup: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$', description: 'lvm-thin: an existing volume group' })),
    thinPool: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$', description: 'lvm-thin: an existing thin pool LV in it' })),
    shared: Type.Optional(Type.Boolean({ description: 'dir: the directory is shared storage (default false)' })),
  },
  { additionalProperties: false, $id: 'PoolCreate' },
);
/** Body of `POST /pools`. */
export type PoolCreate = Static<typeof PoolCreate>;

/** A volume: a virtual disk in a pool. */
export const Volume = Type.Object(
  {
    id: Uuid,
    name: Name,
    pool: Type.String({ description: 'pool name' }),
    format: VolumeFormat,
    sizeBytes: Type.Integer({ description: 'virtual size seen by the guest' }),
    usedBytes: Type.Integer({ description: 'bytes used on the storage' }),
    role: Type.Union([Type.Literal('root'), Type.Literal('data')], { description: 'root: the boot disk a VM was created with' }),
    vm: Nullable(Type.String({ description: 'name of the VM it is attached to' })),
    image: Nullable(Type.String({ description: 'name of the image it is a copy-on-write overlay of' })),
    encrypted: Type.Boolean({ description: 'LUKS-encrypted at rest (qcow2)' }),
    createdAt: Timestamp,
  },
  { $id: 'Volume' },
);
/** A volume. */
export type Volume = Static<typeof Volume>;

/** Body of `POST /volumes`. */
export const VolumeCreate = Type.Object(
  {
    name: Name,
    sizeBytes: Type.Integer({ minimum: 1048576, maximum: 1125899906842624 }),
    pool: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'default: the pool named default' })),
    format: Type.Optional(VolumeFormat),
    encrypted: Type.Optional(Type.Boolean({ description: 'LUKS encryption at rest (qcow2 only); the key is kept by herd, readable by root only' })),
  },
  { additionalProperties: false, $id: 'VolumeCreate' },
);
/** Body of `POST /volumes`. */
export type VolumeCreate = Static<typeof VolumeCreate>;

/** Body of the volume resize action. */
export const VolumeResize = Type.Object(
  { sizeBytes: Type.Integer({ minimum: 1048576, maximum: 1125899906842624, description: 'the new size; volumes only grow' }) },
  { additionalProperties: false, $id: 'VolumeResize' },
);
/** Body of the volume resize action. */
export type VolumeResize = Static<typeof VolumeResize>;

/** Body of the volume attach action. */
export const VolumeAttach = Type.Object(
  { vm: Type.String({ minLength: 1, maxLength: 100, description: 'the VM (id or name); a running VM gets the disk hot-plugged' }) },
  { additionalProperties: false, $id: 'VolumeAttach' },
);
/** Body of the volume attach action. */
export type VolumeAttach = Static<typeof VolumeAttach>;

/** `GET /volumes` filters. */
export const VolumeListQuery = Type.Object(
  {
    pool: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    vm: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

/** A snapshot of all of a VM's disks, and optionally of its memory. */
export const Snapshot = Type.Object(
  {
    id: Uuid,
    name: Name,
    vm: Type.String({ description: 'VM name' }),
    parent: Nullable(Type.String({ description: 'the snapshot this one was taken on top of' })),
    current: Type.Boolean({ description: 'the VM runs on top of this snapshot (the last one taken or reverted to)' }),
    withMemory: Type.Boolean({ description: 'RAM and device state are saved: a revert resumes the VM where it was' }),
    vmState: Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('stopped')], { description: 'VM state when taken' }),
    description: Type.String(),
    createdAt: Timestamp,
  },
  { $id: 'Snapshot' },
);
/** A snapshot. */
export type Snapshot = Static<typeof Snapshot>;

/** Body of `POST /vms/{id}/snapshots`. */
export const SnapshotCreate = Type.Object(
  {
    name: Name,
    withMemory: Type.Optional(Type.Boolean({ description: 'also save RAM and device state (running or paused VMs)' })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false, $id: 'SnapshotCreate' },
);
/** Body of `POST /vms/{id}/snapshots`. */
export type SnapshotCreate = Static<typeof SnapshotCreate>;

/** Path parameters of one snapshot of one VM. */
export const SnapshotRef = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }), snapshot: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

/** Body of the clone action. */
export const VmClone = Type.Object(
  {
    name: Name,
    mode: Type.Optional(
      Type.Union([Type.Literal('linked'), Type.Literal('full')], {
        description: 'linked: copy-on-write overlays, O(1) in disk size (default); full: independent copies',
      }),
    ),
    pool: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'full clones: the pool for the copies (default: the source pools)' })),
    start: Type.Optional(Type.Boolean({ description: 'start the clone once made' })),
  },
  { additionalProperties: false, $id: 'VmClone' },
);
/** Body of the clone action. */
export type VmClone = Static<typeof VmClone>;

/** A backup archive of a VM: its disks and spec. */
export const Backup = Type.Object(
  {
    id: Uuid,
    vm: Type.String({ description: 'name of the VM backed up' }),
    vmId: Uuid,
    path: Type.String({ description: 'the archive on the daemon host' }),
    kind: Type.Union([Type.Literal('full'), Type.Literal('incremental')]),
    parent: Nullable(Uuid),
    sizeBytes: Type.Integer(),
    createdAt: Timestamp,
  },
  { $id: 'Backup' },
);
/** A backup. */
export type Backup = Static<typeof Backup>;

/** Body of `POST /vms/{id}/backups`. */
export const BackupCreate = Type.Object(
  {
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'an absolute directory for the archive (default: the data directory’s backups/)' })),
    incremental: Type.Optional(
      Type.Boolean({ description: 'only what changed since the last backup (dirty bitmaps); falls back to full when there is no usable base' }),
    ),
  },
  { additionalProperties: false, $id: 'BackupCreate' },
);
/** Body of `POST /vms/{id}/backups`. */
export type BackupCreate = Static<typeof BackupCreate>;

/** Body of `POST /backups/restore`. */
export const BackupRestore = Type.Object(
  {
    archive: Type.String({ minLength: 1, maxLength: 4096, description: 'an archive path on the daemon host (or a backup id)' }),
    name: Type.Optional(Name),
    pool: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    start: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, $id: 'BackupRestore' },
);
/** Body of `POST /backups/restore`. */
export type BackupRestore = Static<typeof BackupRestore>;

/** `GET /backups` filters. */
export const BackupListQuery = Type.Object({ vm: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false });

/** Body of `POST /images/from-vm`. */
export const ImageFromVm = Type.Object(
  { vm: Type.String({ minLength: 1, maxLength: 100, description: 'a stopped VM (id or name)' }), name: Name },
  { additionalProperties: false, $id: 'ImageFromVm' },
);
/** Body of `POST /images/from-vm`. */
export type ImageFromVm = Static<typeof ImageFromVm>;
