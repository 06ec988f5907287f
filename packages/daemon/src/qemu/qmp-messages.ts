/**
 * TypeBox schemas for what QEMU sends over QMP: the greeting, command replies (`return` or
 * `error`), asynchronous events, and the return values of the commands herd uses. Every message
 * is checked against these where it enters (`QmpClient`), so nothing past the client sees raw JSON.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** A JSON value, as produced by JSON.parse. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
/** A JSON object, e.g. QMP command arguments or event data. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** `{"QMP": {...}}`, the first line QEMU sends on a new connection. */
export const QmpGreetingSchema = Type.Object({
  QMP: Type.Object({
    version: Type.Object({
      qemu: Type.Object({ major: Type.Integer(), minor: Type.Integer(), micro: Type.Integer() }),
      package: Type.String(),
    }),
    capabilities: Type.Array(Type.String()),
  }),
});
/** The decoded QMP greeting. */
export type QmpGreeting = Static<typeof QmpGreetingSchema>;

// herd sends integer ids only, so any reply carrying another kind of id is a protocol error.
const Id = Type.Optional(Type.Integer());

/** A successful reply; `return` is checked afterwards against the command's own schema. */
export const QmpReturnSchema = Type.Object({ return: Type.Unknown(), id: Id });

/** A failed command's reply, e.g. `{"error": {"class": "CommandNotFound", "desc": "..."}}`. */
export const QmpErrorReplySchema = Type.Object({
  error: Type.Object({ class: Type.String(), desc: Type.String() }),
  id: Id,
});

/** An asynchronous event such as STOP, RESUME or SHUTDOWN. */
export const QmpEventSchema = Type.Object({
  event: Type.String(),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  timestamp: Type.Object({ seconds: Type.Integer(), microseconds: Type.Integer() }),
});

/** A QMP event as delivered to listeners. `data` is `{}` when QEMU sent none. */
export interface QmpEvent {
  readonly event: string;
  readonly data: JsonObject;
  readonly timestamp: { readonly seconds: number; readonly microseconds: number };
}

/** Data of the SHUTDOWN event: `guest` is true when the guest itself shut down or rebooted. */
export const ShutdownEventDataSchema = Type.Object({ guest: Type.Boolean(), reason: Type.String() });

/** Return value of commands that return nothing (`{}`). */
export const EmptyReturnSchema = Type.Object({});

/** QEMU's RunState values (QAPI `RunState`, QEMU 7.2): one list yields the type and the check. */
export const RUN_STATES = [
  'debug', 'inmigrate', 'internal-error', 'io-error', 'paused', 'postmigrate', 'prelaunch',
  'finish-migrate', 'restore-vm', 'running', 'save-vm', 'shutdown', 'suspended', 'watchdog',
  'guest-panicked', 'colo',
] as const;
/** A QEMU run state as reported by `query-status`. */
export type RunState = (typeof RUN_STATES)[number];

/** Return value of `query-status`. */
export const StatusInfoSchema = Type.Object({
  status: Type.Union(RUN_STATES.map((s) => Type.Literal(s))),
  running: Type.Boolean(),
});
/** Decoded `query-status` reply. */
export type StatusInfo = Static<typeof StatusInfoSchema>;

/** Return value of `query-kvm`: `present` only means QEMU was built with KVM support. */
export const KvmInfoSchema = Type.Object({ enabled: Type.Boolean(), present: Type.Boolean() });
