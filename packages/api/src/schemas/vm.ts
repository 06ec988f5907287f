/** Virtual machines: spec (what the user asked for) and status (what herd observed). */
import { Type, type Static } from '@sinclair/typebox';
import { desiredStates, vmStates } from '../vm-states.js';
import { Name, Nullable, Timestamp, Uuid } from './common.js';
import { HealthCheck, PortForward, RestartLimit, RestartPolicy, WatchdogAction } from './self-healing.js';
import { VmDisplay } from './console.js';
import { NicAdd } from './network.js';
import { Placement, VmPriority } from './placement.js';

/** Accelerator choice: `auto` uses KVM where it really works and TCG otherwise. */
export const AccelPreference = Type.Union([Type.Literal('auto'), Type.Literal('kvm'), Type.Literal('tcg')]);
/** Accelerator in use. */
export const Accel = Type.Union([Type.Literal('kvm'), Type.Literal('tcg')]);

/** A volume attached to a VM. */
export const VmDisk = Type.Object({
  volume: Type.String({ description: 'volume name' }),
  pool: Type.String(),
  format: Type.Union([Type.Literal('qcow2'), Type.Literal('raw')]),
  sizeBytes: Type.Integer(),
  role: Type.Union([Type.Literal('root'), Type.Literal('data')]),
  device: Type.String({ description: 'QEMU device id; the guest sees it as a virtio disk with this serial' }),
});
/** A volume attached to a VM. */
export type VmDisk = Static<typeof VmDisk>;

/** A NIC of a VM, as the VM shows it. */
export const VmNic = Type.Object({
  network: Type.String(),
  device: Type.String(),
  mac: Type.String(),
  ip: Nullable(Type.String()),
  securityGroups: Type.Array(Type.String()),
});
/** A NIC of a VM. */
export type VmNic = Static<typeof VmNic>;

/** What the user asked for. */
export const VmSpec = Type.Object({
  cpus: Type.Integer({ minimum: 1, maximum: 64 }),
  memoryMiB: Type.Integer({ minimum: 32, maximum: 1048576 }),
  diskBytes: Type.Integer({ minimum: 1 }),
  image: Type.String(),
  kernelCmdline: Nullable(Type.String()),
  accel: AccelPreference,
  restartPolicy: RestartPolicy,
  restartLimit: RestartLimit,
  healthCheck: Nullable(HealthCheck),
  watchdog: WatchdogAction,
  portForwards: Type.Array(PortForward, { description: 'host ports forwarded to guest ports through a QEMU user-mode NIC (none: no user-mode NIC)' }),
  disks: Type.Array(VmDisk, { description: 'attached volumes, the root disk first' }),
  cdrom: Nullable(Type.String({ description: 'ISO image attached as a cdrom (boots first)' })),
  display: VmDisplay,
  nics: Type.Array(VmNic, { description: 'NICs on herd networks (user-mode networking when there are none and port forwards exist)' }),
});

/** A virtual machine. */
export const Vm = Type.Object(
  {
    id: Uuid,
    name: Name,
    state: Type.Union(vmStates.map((s) => Type.Literal(s))),
    desiredState: Type.Union(desiredStates.map((s) => Type.Literal(s))),
    accel: Nullable(Accel),
    pid: Nullable(Type.Integer()),
    host: Type.String({ description: 'the host the VM is assigned to' }),
    placement: Placement,
    priority: VmPriority,
    ha: Type.Boolean({ description: 'restarted on another host when its host fails' }),
    spec: VmSpec,
    status: Type.Object({
      reason: Nullable(Type.String({ description: 'why the VM is in its state (e.g. why it stopped)' })),
      lastError: Nullable(Type.String()),
      startedAt: Nullable(Timestamp),
      stateChangedAt: Timestamp,
      health: Type.Union([Type.Literal('none'), Type.Literal('starting'), Type.Literal('healthy'), Type.Literal('unhealthy')]),
      addresses: Type.Array(Type.String(), { description: "the VM's IPv4 addresses on herd networks" }),
      restarts: Type.Object({
        recent: Type.Integer({ description: 'restarts by the policy within the restart window' }),
        nextAt: Nullable(Timestamp),
      }),
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Vm' },
);
/** A virtual machine. */
export type Vm = Static<typeof Vm>;

/** Body of `POST /vms`. */
export const VmCreate = Type.Object(
  {
    name: Name,
    image: Type.String({ minLength: 1, maxLength: 100 }),
    cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, default: 1 })),
    memoryMiB: Type.Optional(Type.Integer({ minimum: 32, maximum: 1048576, default: 256 })),
    diskBytes: Type.Optional(
      Type.Integer({ minimum: 1048576, description: 'root disk size; default: the image size' }),
    ),
    kernelCmdline: Type.Optional(Type.String({ maxLength: 2048, description: 'for kernel-boot images' })),
    accel: Type.Optional(AccelPreference),
    start: Type.Optional(Type.Boolean({ description: 'start the VM once created' })),
    restartPolicy: Type.Optional(RestartPolicy),
    restartLimit: Type.Optional(RestartLimit),
    healthCheck: Type.Optional(HealthCheck),
    watchdog: Type.Optional(WatchdogAction),
    portForwards: Type.Optional(Type.Array(PortForward, { maxItems: 32 })),
    pool: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'pool of the root disk (default: default)' })),
    cdrom: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'an ISO image to attach as a cdrom and boot from (installs)' })),
    display: Type.Optional(VmDisplay),
    nics: Type.Optional(
      Type.Array(NicAdd, { maxItems: 8, description: 'NICs on herd networks; default: one on the network named default when it exists' }),
    ),
    host: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, description: 'put the VM on this host (it must still pass every filter); default: the host the scheduler picks' }),
    ),
    placement: Type.Optional(Placement),
    priority: Type.Optional(VmPriority),
    ha: Type.Optional(Type.Boolean({ default: false, description: 'restart the VM on another host when its host fails' })),
  },
  { additionalProperties: false, $id: 'VmCreate' },
);
/** Body of `POST /vms`. */
export type VmCreate = Static<typeof VmCreate>;

/** Body of `POST /vms/{id}/actions/stop` (and restart). */
export const VmStopBody = Type.Object(
  {
    force: Type.Optional(Type.Boolean({ description: 'kill at once instead of an ACPI shutdown' })),
    timeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 3600, description: 'ACPI shutdown grace before a forced stop (default 60)' }),
    ),
  },
  { additionalProperties: false, $id: 'VmStop' },
);
/** Body of a stop action. */
export type VmStopBody = Static<typeof VmStopBody>;

/** Body of actions that take no options. */
export const EmptyBody = Type.Object({}, { additionalProperties: false });

/** `GET /vms/{id}/console` (not a WebSocket): the console log. */
export const ConsoleQuery = Type.Object(
  {
    bytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 16777216, description: 'last N bytes (default 64 KiB)' })),
    ticket: Type.Optional(Type.String({ maxLength: 100, description: 'WebSocket only: a serial console ticket from POST /vms/{id}/console-tickets' })),
  },
  { additionalProperties: false },
);
