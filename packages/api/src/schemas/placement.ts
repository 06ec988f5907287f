/**
 * Where VMs go: what a VM asks of its host (labels, groups), and the scheduler's account of a
 * placement, host by host.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Name, Nullable } from './common.js';

/** A label key, as on Kubernetes nodes: `zone`, `disk`, `example.com/rack`. */
export const LabelKey = Type.String({ pattern: '^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$', minLength: 1, maxLength: 63 });
/** A label value. */
export const LabelValue = Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$', minLength: 1, maxLength: 63 });
/** Labels of a host, or a selector that hosts' labels must match. */
export const Labels = (description?: string) =>
  Type.Record(LabelKey, LabelValue, { maxProperties: 32, additionalProperties: false, ...(description !== undefined && { description }) });

/** The policies of a placement group. */
export const placementPolicies = ['affinity', 'anti-affinity'] as const;
/** A placement group's policy: `affinity` keeps its members together, `anti-affinity` apart. */
export type PlacementPolicy = (typeof placementPolicies)[number];

/** How many groups one VM may belong to. */
export const maxPlacementGroups = 8;

/**
 * A group the VM belongs to. Groups are named within a project: VMs of other projects never
 * count towards them.
 */
export const PlacementGroup = Type.Object(
  {
    name: Name,
    policy: Type.Union(placementPolicies.map((p) => Type.Literal(p))),
    hard: Type.Optional(
      Type.Boolean({ default: true, description: 'true: a host that breaks the policy is refused; false: it only scores lower' }),
    ),
    maxPerHost: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'anti-affinity only: members one host may hold (default 1)' }),
    ),
  },
  { additionalProperties: false },
);
/** A placement group of a VM. */
export type PlacementGroup = Static<typeof PlacementGroup>;

/** What a VM asks of the host it runs on, beyond room for its size. */
export const Placement = Type.Object(
  {
    selector: Type.Optional(Labels('labels the host must have, every one (as a Kubernetes nodeSelector)')),
    groups: Type.Optional(Type.Array(PlacementGroup, { maxItems: maxPlacementGroups, description: 'affinity and anti-affinity groups the VM is in' })),
  },
  { additionalProperties: false, $id: 'Placement' },
);
/** What a VM asks of its host. */
export type Placement = Static<typeof Placement>;

/** The order of HA restarts and of placements made together: higher first. */
export const VmPriority = Type.Integer({ minimum: -1000, maximum: 1000, default: 0, description: 'higher goes first when VMs are restarted or placed together' });

/** One host as the scheduler judged it. */
export const HostVerdict = Type.Object({
  name: Type.String(),
  fits: Type.Boolean({ description: 'passed every filter' }),
  rejections: Type.Array(Type.Object({ filter: Type.String(), reason: Type.String() }), { description: 'every filter that refused the host' }),
  weights: Type.Record(Type.String(), Type.Number(), { description: "each weigher's share of the score (its score, 0..1, times its weight)" }),
  score: Nullable(Type.Number({ description: 'the sum of the weights; the highest wins, ties go to the name that sorts first' })),
});
/** One host as the scheduler judged it. */
export type HostVerdict = Static<typeof HostVerdict>;

/** `GET /vms/{id}/placement`: where the VM would go if it were placed now, and why. */
export const PlacementExplanation = Type.Object(
  {
    vm: Type.String(),
    host: Type.String({ description: 'the host the VM is on now' }),
    chosen: Nullable(Type.String({ description: 'the host the scheduler would pick now; null when none fits' })),
    hosts: Type.Array(HostVerdict, { description: 'every host: those that fit, best first; then the others, by name' }),
  },
  { $id: 'PlacementExplanation' },
);
/** Where a VM would go now, and why. */
export type PlacementExplanation = Static<typeof PlacementExplanation>;
