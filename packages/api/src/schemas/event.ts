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
    target: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: "only the events of this VM (its name or id): its own, and those of operations on it; an id also finds a deleted VM's",
      }),
    ),
  },
  { additionalProperties: false },
);
/** Inputs of `GET /events`. */
export type EventQuery = Static<typeof EventQuery>;

/**
 * Whether `e` is one of the events of the VM with id `vmId`, as `GET /events?target=` filters
 * them: an event whose target is that VM (or has its id), or an `operation.*` event about an
 * operation on it. Pure; the daemon filters the stream with it and the web UI its live events.
 */
export function isEventOfVm(e: HerdEvent, vmId: string): boolean {
  if (e.target.id === vmId) return true;
  if (e.target.type !== 'operation') return false;
  const op = e.data.operation as { target?: { id?: unknown } } | undefined;
  return op?.target?.id === vmId;
}
