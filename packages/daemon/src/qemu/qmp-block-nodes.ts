/**
 * The part of QMP `query-named-block-nodes` herd reads: each node's virtual size, the internal
 * snapshots in its image and its dirty bitmaps. Snapshot and backup code read the state of a
 * disk's top node from here before acting, so that repeating a step finds it done.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { QmpClient } from './qmp-client.js';
import { topNode } from './qmp-nodes.js';

/** An internal snapshot in a node's image (QAPI `SnapshotInfo`; other fields are ignored). */
const NodeSnapshotSchema = Type.Object({
  name: Type.String(),
  /** Bytes of saved RAM and device state; 0 for a disk-only snapshot. */
  'vm-state-size': Type.Integer({ minimum: 0 }),
});

/** A dirty bitmap on a node (QAPI `BlockDirtyInfo`). */
export const DirtyBitmapSchema = Type.Object({
  name: Type.Optional(Type.String()),
  /** False for a disabled bitmap, and for an inconsistent one: writes are not being recorded. */
  recording: Type.Boolean(),
  persistent: Type.Boolean(),
  /** In use by a block job (a running backup). */
  busy: Type.Boolean(),
  /** Bytes marked dirty. */
  count: Type.Integer({ minimum: 0 }),
  granularity: Type.Integer({ minimum: 1 }),
  /** Present (true) when QEMU found the bitmap marked in use on open: the last QEMU did not close the image cleanly. */
  inconsistent: Type.Optional(Type.Boolean()),
});
/** Decoded dirty bitmap information. */
export type DirtyBitmap = Static<typeof DirtyBitmapSchema>;

/** One entry of the `query-named-block-nodes` reply (QAPI `BlockDeviceInfo`). */
export const BlockNodeSchema = Type.Object({
  'node-name': Type.String(),
  image: Type.Object({
    'virtual-size': Type.Integer({ minimum: 0 }),
    snapshots: Type.Optional(Type.Array(NodeSnapshotSchema)),
  }),
  'dirty-bitmaps': Type.Optional(Type.Array(DirtyBitmapSchema)),
});
/** Decoded block node information. */
export type BlockNode = Static<typeof BlockNodeSchema>;

const BlockNodesSchema = Type.Array(BlockNodeSchema);

/** The VM's named block nodes by node name (`flat`: backing images are listed as their own nodes). Call while QEMU runs. */
export async function queryBlockNodes(qmp: QmpClient): Promise<ReadonlyMap<string, BlockNode>> {
  const nodes = await qmp.execute('query-named-block-nodes', { flat: true }, BlockNodesSchema);
  return new Map(nodes.map((n) => [n['node-name'], n]));
}

/** A disk's top block node: its name and what QEMU reports of it. */
export interface DiskNode {
  readonly diskId: string;
  /** `<id>-fmt` as launched, or the overlay a live freeze has put on top of it since. */
  readonly nodeName: string;
  readonly info: BlockNode;
}

/**
 * The top block node of each disk in `diskIds`, in order: the node the guest writes through, so
 * the one that internal snapshots, backups and dirty bitmaps must address. Throws if a disk is not
 * attached. Call while QEMU runs.
 */
export async function diskTopNodes(qmp: QmpClient, diskIds: readonly string[]): Promise<DiskNode[]> {
  const names: string[] = [];
  for (const diskId of diskIds) names.push(await topNode(qmp, diskId));
  const nodes = await queryBlockNodes(qmp);
  return diskIds.map((diskId, i) => {
    const nodeName = names[i]!;
    const info = nodes.get(nodeName);
    if (!info) throw new Error(`disk '${diskId}' has no block node '${nodeName}'`);
    return { diskId, nodeName, info };
  });
}
