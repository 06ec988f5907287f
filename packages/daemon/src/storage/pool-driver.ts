/**
 * What herd needs of a kind of storage. A driver knows where its volumes live and how to make,
 * grow, copy and remove them; the services above decide when. One driver per pool row.
 */

/** Space of the storage under a pool, bytes. */
export interface PoolSpace {
  readonly capacityBytes: number;
  readonly usedBytes: number;
  readonly freeBytes: number;
}

/** A volume to make. */
export interface NewVolume {
  readonly id: string;
  readonly format: 'qcow2' | 'raw';
  readonly sizeBytes: number;
  /** LUKS passphrase file (qcow2 only). */
  readonly keyFile?: string;
  /** Make a copy-on-write overlay of this (qcow2 only; O(1) in its size). */
  readonly backing?: { readonly path: string; readonly format: 'qcow2' | 'raw' };
}

/** A source to copy a volume from. */
export interface CopySource {
  readonly path: string;
  readonly format: 'qcow2' | 'raw';
  readonly keyFile?: string;
}

/** One pool's storage. */
export interface PoolDriver {
  /** How QEMU opens its volumes: files or block devices. */
  readonly blockDriver: 'file' | 'host_device';
  /** Formats it can hold; the first is the default. */
  readonly formats: readonly ('qcow2' | 'raw')[];
  /** Throws a reason an operator can act on when the storage is not usable. */
  check(): Promise<void>;
  space(): Promise<PoolSpace>;
  /** Makes an empty volume (or an overlay) and returns its path. */
  create(v: NewVolume): Promise<string>;
  /** Makes a volume holding a flattened copy of `source` and returns its path. */
  copy(source: CopySource, v: NewVolume, onProgress?: (pct: number) => void): Promise<string>;
  /** Grows a volume (VM stopped; a running VM grows it over QMP, then the storage follows). */
  grow(path: string, format: 'qcow2' | 'raw', sizeBytes: number, keyFile?: string): Promise<void>;
  /** Grows the storage under a volume before QEMU grows the disk live (block devices); absent when QEMU's resize is enough. */
  growStorage?(path: string, sizeBytes: number): Promise<void>;
  /** Bytes a volume takes on the storage. */
  usedBytes(path: string): Promise<number>;
  /** Removes a volume; idempotent. */
  remove(path: string): Promise<void>;
  /** Paths in the pool herd made and no volume record names (left by a crash), given the known ones. */
  orphans(known: ReadonlySet<string>): Promise<string[]>;
}
