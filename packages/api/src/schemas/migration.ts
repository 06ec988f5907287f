/** Live migration between hosts, host drains and rebalancing. */
import { Type, type Static } from '@sinclair/typebox';
import { Name } from './common.js';

/** How to migrate a VM: where to (default: the scheduler's pick) and how. */
export const VmMigrate = Type.Object(
  {
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'the destination host; checked by the scheduler like any placement' })),
    downtimeLimitMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: 'the longest pause the final pass may cause (default 300)' })),
    autoConverge: Type.Optional(Type.Boolean({ description: 'slow the vCPUs of a guest that dirties memory faster than it can be sent (default true)' })),
    postcopy: Type.Optional(Type.Boolean({ description: 'switch to post-copy after the first pass: the guest runs on the destination while its memory follows (default false)' })),
    maxBandwidthMiBps: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'cap on the transfer rate (default: none)' })),
  },
  { additionalProperties: false, $id: 'VmMigrate' },
);
/** A migration request. */
export type VmMigrate = Static<typeof VmMigrate>;

/** Host-to-host: the source asks the destination to get ready. */
export const MigrationPrepare = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 63 }),
    accel: Type.Union([Type.Literal('kvm'), Type.Literal('tcg')]),
    localVolumes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 }),
    postcopy: Type.Boolean(),
  },
  { additionalProperties: false, $id: 'MigrationPrepare' },
);

const Address = Type.Object({ host: Type.String(), port: Type.Integer({ minimum: 1, maximum: 65535 }) }, { additionalProperties: false });

/** Where the destination listens for the migration stream and, for host-local disks, the NBD mirrors, and whether both are TLS. */
export const MigrationPrepared = Type.Object(
  {
    migration: Address,
    nbd: Type.Optional(
      Type.Object(
        {
          host: Type.String(),
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
          exports: Type.Array(Type.Object({ volumeId: Type.String(), name: Type.String() }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
    tls: Type.Optional(
      Type.Object(
        { serverName: Type.String({ minLength: 1, maxLength: 253, description: 'the name the destination’s certificate (from the cluster CA) is valid for; the source checks it' }) },
        { additionalProperties: false, description: 'present when the migration and NBD streams are TLS' },
      ),
    ),
  },
  { additionalProperties: false, $id: 'MigrationPrepared' },
);

/** Host-to-host: the source tells the destination how the migration ended. */
export const MigrationFinish = Type.Object(
  { outcome: Type.Union([Type.Literal('commit'), Type.Literal('postcopy'), Type.Literal('abort')]) },
  { additionalProperties: false, $id: 'MigrationFinish' },
);

/** One planned move of a rebalancing. */
export const RebalanceMove = Type.Object(
  { vm: Name, vmId: Type.String(), from: Type.String(), to: Type.String(), imbalanceAfter: Type.Number() },
  { additionalProperties: false },
);

/** What rebalancing would do now. */
export const RebalancePlan = Type.Object(
  {
    automation: Type.Union([Type.Literal('manual'), Type.Literal('partial'), Type.Literal('full')]),
    threshold: Type.Number({ description: 'imbalance above which the rebalancer plans moves' }),
    imbalance: Type.Number({ description: 'spread between the most and the least loaded host; a load is the larger of vCPU and memory use over what the host may hand out' }),
    loads: Type.Record(Type.String(), Type.Number()),
    moves: Type.Array(RebalanceMove),
    imbalanceAfter: Type.Number(),
  },
  { additionalProperties: false, $id: 'RebalancePlan' },
);
/** A rebalancing plan. */
export type RebalancePlan = Static<typeof RebalancePlan>;
