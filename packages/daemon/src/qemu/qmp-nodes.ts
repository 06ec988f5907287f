/** Block nodes of a running QEMU, as QMP reports them. */
import { Type } from '@sinclair/typebox';
import type { QmpClient } from './qmp-client.js';

const BlockInfoList = Type.Array(
  Type.Object({
    device: Type.String(),
    qdev: Type.Optional(Type.String()),
    inserted: Type.Optional(Type.Object({ 'node-name': Type.Optional(Type.String()) })),
  }),
);

/**
 * The node at the top of device `deviceId`'s block graph: `<id>-fmt` as launched, or the
 * overlay a live freeze (linked clone) put on top of it since. Commands that act on "the disk"
 * (resize, internal snapshots) must address this node. Call while QEMU runs.
 */
export async function topNode(qmp: QmpClient, deviceId: string): Promise<string> {
  const blocks = await qmp.execute('query-block', undefined, BlockInfoList);
  const b = blocks.find((x) => x.qdev === deviceId || x.qdev === `/machine/peripheral/${deviceId}/virtio-backend`);
  const node = b?.inserted?.['node-name'];
  if (!node) throw new Error(`QEMU has no disk '${deviceId}'`);
  return node;
}
