/** The part of QMP `query-blockstats` herd reads: cumulative I/O counters per block device. */
import { Type, type Static } from '@sinclair/typebox';

/** One entry of the `query-blockstats` reply (QAPI `BlockStats`; other fields are ignored). */
export const BlockStatsEntrySchema = Type.Object({
  device: Type.Optional(Type.String()),
  'node-name': Type.Optional(Type.String()),
  qdev: Type.Optional(Type.String()),
  stats: Type.Object({
    rd_bytes: Type.Integer({ minimum: 0 }),
    wr_bytes: Type.Integer({ minimum: 0 }),
    rd_operations: Type.Integer({ minimum: 0 }),
    wr_operations: Type.Integer({ minimum: 0 }),
  }),
});

/** The `query-blockstats` reply. */
export const BlockStatsSchema = Type.Array(BlockStatsEntrySchema);

/** Decoded `query-blockstats` reply. */
export type BlockStats = Static<typeof BlockStatsSchema>;
