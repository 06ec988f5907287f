/** How a VM heals: restart policy, health checks, watchdog, user-mode port forwards. */
import { Type, type Static } from '@sinclair/typebox';
import { VmDisplay } from './console.js';
import { VmPriority } from './placement.js';

/** When herd restarts a VM that stopped without being asked to. */
export const RestartPolicy = Type.Union([Type.Literal('no'), Type.Literal('on-failure'), Type.Literal('always')], {
  description:
    'no: never; on-failure: after a crash, kill, panic, watchdog or failed health check; always: also after the guest powers itself off',
});
/** A restart policy. */
export type RestartPolicy = Static<typeof RestartPolicy>;

/** The cap on restarts: more than `maxRestarts` within `windowSeconds` puts the VM in `error`. */
export const RestartLimit = Type.Object(
  {
    maxRestarts: Type.Integer({ minimum: 1, maximum: 100 }),
    windowSeconds: Type.Integer({ minimum: 10, maximum: 86400 }),
  },
  { additionalProperties: false },
);

const checkTiming = {
  intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'between checks (default 10)' })),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, description: 'for one check (default 5)' })),
  retries: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'failures in a row that make the VM unhealthy (default 3)' })),
  startPeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: 'grace after start before failures count (default 30)' })),
};

/** A health check. */
export const HealthCheck = Type.Union([
  Type.Object(
    {
      type: Type.Literal('tcp'),
      port: Type.Integer({ minimum: 1, maximum: 65535, description: 'host port to connect to (e.g. a user-mode port forward)' }),
      host: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'default 127.0.0.1' })),
      ...checkTiming,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('console'),
      pattern: Type.String({ minLength: 1, maxLength: 500, description: 'a regular expression the guest must print on its serial console within each interval' }),
      ...checkTiming,
    },
    { additionalProperties: false },
  ),
]);
/** A health check. */
export type HealthCheck = Static<typeof HealthCheck>;

/** What QEMU does when the guest stops petting its i6300esb watchdog; `off` adds no device. */
export const WatchdogAction = Type.Union(
  [Type.Literal('off'), Type.Literal('poweroff'), Type.Literal('reset'), Type.Literal('pause')],
  { description: 'poweroff counts as a failure for the restart policy; reset reboots in place; pause keeps it for inspection' },
);

/** A host port forwarded to a guest port through QEMU's user-mode network. */
export const PortForward = Type.Object(
  {
    hostPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    guestPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  },
  { additionalProperties: false },
);
/** A port forward. */
export type PortForward = Static<typeof PortForward>;

/**
 * Body of `PATCH /vms/{id}`: settings that can change on an existing VM (the watchdog and display
 * at its next start). Its placement cannot: that would move it.
 */
export const VmUpdate = Type.Object(
  {
    restartPolicy: Type.Optional(RestartPolicy),
    restartLimit: Type.Optional(RestartLimit),
    healthCheck: Type.Optional(Type.Union([HealthCheck, Type.Null()])),
    watchdog: Type.Optional(WatchdogAction),
    display: Type.Optional(VmDisplay),
    priority: Type.Optional(VmPriority),
    ha: Type.Optional(Type.Boolean({ description: 'restart the VM on another host when its host fails' })),
  },
  { additionalProperties: false, $id: 'VmUpdate' },
);
/** Body of `PATCH /vms/{id}`. */
export type VmUpdate = Static<typeof VmUpdate>;
