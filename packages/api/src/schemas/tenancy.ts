/**
 * Tenancy: projects (which own VMs, volumes, networks and images), their quotas, users, their
 * roles in projects, and the API tokens they authenticate with.
 */
import { Type, type Static } from '@sinclair/typebox';
import { projectRoles } from '../access.js';
import { Name, Nullable, Timestamp, Uuid } from './common.js';

/** A role in a project. */
export const ProjectRoleSchema = Type.Union(
  projectRoles.map((r) => Type.Literal(r)),
  { description: 'viewer: read; operator: also start/stop VMs and open consoles; admin: also create, change and delete' },
);

const limit = (what: string, max: number) =>
  Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: max, description: `at most this many ${what}; null: no limit` })));

/** A project's quota: each limit is optional and null means unlimited. */
export const ProjectLimits = Type.Object(
  {
    vms: limit('VMs', 1_000_000),
    vcpus: limit('vCPUs over all VMs', 10_000_000),
    memoryMiB: limit('MiB of memory over all VMs', 1_000_000_000),
    diskGiB: limit('GiB of volumes (virtual size) over all volumes', 1_000_000_000),
    networks: limit('networks', 100_000),
  },
  { additionalProperties: false, $id: 'ProjectLimits' },
);
/** A project's quota. */
export type ProjectLimits = Static<typeof ProjectLimits>;

/** What a project uses, in the units of its limits. */
export const ProjectUsage = Type.Object(
  {
    vms: Type.Integer(),
    vcpus: Type.Integer(),
    memoryMiB: Type.Integer(),
    diskGiB: Type.Number({ description: 'virtual size of its volumes, GiB (fractional)' }),
    networks: Type.Integer(),
  },
  { $id: 'ProjectUsage' },
);
/** What a project uses. */
export type ProjectUsage = Static<typeof ProjectUsage>;

/** A member of a project. */
export const ProjectMember = Type.Object({ user: Type.String(), role: ProjectRoleSchema }, { $id: 'ProjectMember' });

/** A project. */
export const Project = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    description: Type.String(),
    limits: ProjectLimits,
    usage: ProjectUsage,
    members: Type.Array(ProjectMember),
    createdAt: Timestamp,
  },
  { $id: 'Project' },
);
/** A project. */
export type Project = Static<typeof Project>;

/** Body of `POST /projects`. */
export const ProjectCreate = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    limits: Type.Optional(ProjectLimits),
  },
  { additionalProperties: false },
);
/** Body of `PATCH /projects/{id}`: the limits given replace those of the same name. */
export const ProjectUpdate = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 500 })),
    limits: Type.Optional(ProjectLimits),
  },
  { additionalProperties: false },
);

/** Path of the member routes. */
export const MemberRef = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }), user: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
/** Body of `PUT /projects/{id}/members/{user}`. */
export const MemberSet = Type.Object({ role: ProjectRoleSchema }, { additionalProperties: false });

/** A user. */
export const User = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    clusterAdmin: Type.Boolean({ description: 'may do anything in every project and manage the installation' }),
    roles: Type.Array(Type.Object({ project: Type.String(), role: ProjectRoleSchema })),
    createdAt: Timestamp,
  },
  { $id: 'User' },
);
/** A user. */
export type User = Static<typeof User>;

/** Body of `POST /users`. */
export const UserCreate = Type.Object(
  { name: Name, clusterAdmin: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

/** An API token (its secret is shown only when it is made). */
export const Token = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    user: Type.String(),
    createdAt: Timestamp,
    expiresAt: Nullable(Timestamp),
    lastUsedAt: Nullable(Timestamp),
    revokedAt: Nullable(Timestamp),
  },
  { $id: 'Token' },
);
/** An API token. */
export type Token = Static<typeof Token>;

/** A token just made: the only time its secret is shown. */
export const TokenCreated = Type.Composite([Token, Type.Object({ secret: Type.String({ description: 'send as `Authorization: Bearer SECRET`; herd keeps only its hash' }) })], {
  $id: 'TokenCreated',
});
/** A token just made. */
export type TokenCreated = Static<typeof TokenCreated>;

/** Body of `POST /users/{id}/tokens`. */
export const TokenCreate = Type.Object(
  {
    name: Name,
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'days until the token stops working; none: it does not expire' })),
  },
  { additionalProperties: false },
);
/** Path of a token route. */
export const TokenRef = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }), token: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

/** Answer of `GET /auth/whoami`. */
export const Whoami = Type.Object(
  {
    user: Type.String(),
    clusterAdmin: Type.Boolean(),
    via: Type.Union([Type.Literal('token'), Type.Literal('unix-root')], { description: 'token: a bearer token; unix-root: root on the local socket' }),
    roles: Type.Array(Type.Object({ project: Type.String(), role: ProjectRoleSchema })),
  },
  { $id: 'Whoami' },
);
/** Answer of `GET /auth/whoami`. */
export type Whoami = Static<typeof Whoami>;
