/** Operations: async jobs with an id, progress, result and error. */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from './common.js';

/** Kinds of operations. */
export const operationKinds = [
  'vm.create',
  'vm.start',
  'vm.stop',
  'vm.restart',
  'vm.pause',
  'vm.resume',
  'vm.delete',
  'image.build',
  'image.import',
  'image.from-vm',
  'volume.attach',
  'volume.detach',
  'snapshot.create',
  'snapshot.revert',
  'snapshot.delete',
  'vm.clone',
  'backup.create',
  'backup.restore',
  'nic.add',
  'nic.remove',
  'vm.migrate',
  'host.evacuate',
] as const;

/** Operation statuses; the last two are final. */
export const operationStatuses = ['pending', 'running', 'succeeded', 'failed'] as const;

/** An async job. */
export const Operation = Type.Object(
  {
    id: Uuid,
    kind: Type.Union(operationKinds.map((k) => Type.Literal(k))),
    status: Type.Union(operationStatuses.map((s) => Type.Literal(s))),
    target: Type.Object({
      type: Type.Union([Type.Literal('vm'), Type.Literal('image'), Type.Literal('volume'), Type.Literal('host')]),
      id: Nullable(Type.String()),
      name: Type.String(),
    }),
    progress: Type.Number({ minimum: 0, maximum: 100 }),
    message: Type.String({ description: 'what the operation is doing now' }),
    result: Nullable(Type.Record(Type.String(), Type.Unknown())),
    error: Nullable(
      Type.Object({ code: Type.String(), message: Type.String(), details: Type.Record(Type.String(), Type.Unknown()) }),
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    finishedAt: Nullable(Timestamp),
  },
  { $id: 'Operation' },
);
/** An async job. */
export type Operation = Static<typeof Operation>;
/** Kind of operation. */
export type OperationKind = Operation['kind'];
/** Status of an operation. */
export type OperationStatus = Operation['status'];

/** Filter for `GET /operations`. */
export const OperationListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(operationStatuses.map((s) => Type.Literal(s)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
