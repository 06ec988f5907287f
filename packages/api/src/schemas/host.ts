/** Hosts: the machines herd runs VMs on. */
import { Type, type Static } from '@sinclair/typebox';
import { Accel, AccelPreference } from './vm.js';
import { Timestamp } from './common.js';

/** A host and what it offers. */
export const Host = Type.Object(
  {
    name: Type.String(),
    cpus: Type.Integer(),
    memoryBytes: Type.Integer(),
    accel: Accel,
    accelPreference: AccelPreference,
    accelReason: Type.String({ description: 'why this accelerator is used' }),
    kvmUsable: Type.Boolean(),
    qemuVersion: Type.String(),
    kernel: Type.String(),
    herdVersion: Type.String(),
    vms: Type.Object({ total: Type.Integer(), running: Type.Integer() }),
    dataDir: Type.String(),
    startedAt: Timestamp,
  },
  { $id: 'Host' },
);
/** A host. */
export type Host = Static<typeof Host>;
