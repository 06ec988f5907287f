/**
 * Hosts: the machines herd runs VMs on. Each runs `herd serve` against the one database and
 * renews its lease with every heartbeat; a single-host installation has one host, itself.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Accel, AccelPreference } from './vm.js';
import { Nullable, Timestamp } from './common.js';
import { Labels } from './placement.js';

/** Host modes: `active` takes VMs; `draining` is being emptied; `maintenance` is empty and takes none. */
export const hostModes = ['active', 'draining', 'maintenance'] as const;
/** A host's mode, set by administrators. */
export type HostMode = (typeof hostModes)[number];

/** Host statuses: `offline` once the leader fenced a host whose lease ran out; it is `online` again when it re-registers. */
export const hostStatuses = ['online', 'offline'] as const;
/** A host's status. */
export type HostStatus = (typeof hostStatuses)[number];

/**
 * The pattern of a host name (`--host-name`): a DNS name, labels of letters, digits and '-'
 * joined by dots, as `hostname` gives it. At most 100 characters, so that it fits a path.
 */
export const hostNamePattern = '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';
/** The longest host name. */
export const hostNameMaxLength = 100;

/** Explains why `name` cannot name a host, or returns undefined when it can. */
export function hostNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a host name cannot be empty';
  if (name.length > hostNameMaxLength) return `host name '${name.slice(0, 20)}...' is ${name.length} characters long; at most ${hostNameMaxLength} are allowed`;
  if (!new RegExp(hostNamePattern).test(name)) return `'${name}' is not a valid host name: use letters, digits and '-' in labels joined by '.' (a DNS name)`;
  return undefined;
}

const ratio = (what: string) => Type.Number({ minimum: 0.1, maximum: 100, description: `${what} handed out per unit the host has` });

/** Overcommit ratios a host sets for itself; a ratio left out takes the cluster default. */
export const HostOvercommit = Type.Object(
  { cpu: Type.Optional(ratio('vCPUs')), memory: Type.Optional(ratio('memory')), disk: Type.Optional(ratio('disk')) },
  { additionalProperties: false, $id: 'HostOvercommit' },
);
/** A host's overcommit ratios. */
export type HostOvercommit = Static<typeof HostOvercommit>;

/** Amounts of the resources VMs are sized in. */
const resources = (description: string) =>
  Type.Object({ vcpus: Type.Integer({ minimum: 0 }), memoryMiB: Type.Integer({ minimum: 0 }), diskGiB: Type.Integer({ minimum: 0 }) }, { description });
/** Amounts of vCPUs, memory (MiB) and disk (GiB). */
export type HostResources = Static<ReturnType<typeof resources>>;

/** A host: what it offers, what is placed on it, and whether it is alive. */
export const Host = Type.Object(
  {
    name: Type.String(),
    address: Nullable(Type.String({ description: 'the URL other hosts reach its API on (--advertise); null on a single host' })),
    labels: Labels('labels the scheduler matches VM selectors against'),
    mode: Type.Union(hostModes.map((m) => Type.Literal(m))),
    status: Type.Union(hostStatuses.map((s) => Type.Literal(s)), { description: 'offline: its lease ran out and the leader fenced it' }),
    alive: Type.Boolean({ description: "its lease has not run out (by the database's clock); online but not alive: late, not fenced yet" }),
    leader: Type.Boolean({ description: 'it holds the leader lease (runs the scheduler and the HA loop)' }),
    heartbeatAt: Timestamp,
    leaseExpiresAt: Timestamp,
    overcommit: HostOvercommit,
    capacity: resources('what it has: CPU threads, memory, and the space of the pools it reaches'),
    allocated: resources('sums over the VMs assigned to it (not being deleted): vCPUs, memory, root disks (GiB, rounded up)'),
    loadCpu: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'busy share of its CPUs at the last heartbeat' })),
    pools: Type.Array(Type.String(), { description: 'storage pools it reaches' }),
    networks: Type.Array(Type.String(), { description: 'networks present on it' }),
    cpus: Type.Integer(),
    memoryBytes: Type.Integer({ description: 'its memory (whole MiB)' }),
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

const ratioChange = (what: string) => Type.Optional(Nullable(ratio(what)));

/** Body of `PATCH /hosts/{id}`. */
export const HostUpdate = Type.Object(
  {
    labels: Type.Optional(Labels('the new labels, replacing all it had ({} removes every label)')),
    overcommit: Type.Optional(
      Type.Object(
        { cpu: ratioChange('vCPUs'), memory: ratioChange('memory'), disk: ratioChange('disk') },
        { additionalProperties: false, description: 'ratios to change; null returns one to the cluster default; ratios left out stay' },
      ),
    ),
  },
  { additionalProperties: false, $id: 'HostUpdate' },
);
/** Body of `PATCH /hosts/{id}`. */
export type HostUpdate = Static<typeof HostUpdate>;
