/** Events: every change is an append-only record, streamed to clients. */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp } from './common.js';

/** A change that happened. */
export const Event = Type.Object(
  {
    seq: Type.Integer({ description: 'position in the event log, increasing' }),
    time: Timestamp,
    type: Type.String({ description: 'e.g. vm.created, vm.state, vm.deleted, operation.updated, image.created' }),
    target: Type.Object({ type: Type.String(), id: Nullable(Type.String()), name: Type.String() }),
    message: Type.String(),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'Event' },
);
/** A change that happened. */
export type HerdEvent = Static<typeof Event>;

/** `GET /events`. */
export const EventQuery = Type.Object(
  {
    since: Type.Optional(Type.Integer({ minimum: 0, description: 'replay events after this seq' })),
    follow: Type.Optional(Type.Boolean({ description: 'stream as server-sent events (default true)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
  },
  { additionalProperties: false },
);
