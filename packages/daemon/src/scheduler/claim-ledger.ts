import { chooseRanked } from './choose-ranked.js';
import { defaultSchedulerConfig, type SchedulerConfig } from './config.js';
import type { SchedulingContext } from './context.js';
import { explainIn, type Explanation } from './explain.js';
import { HostRanking } from './host-ranking.js';
import { noHostFits, type NoHostFits } from './no-host-fits.js';
import { diskCapacity, memoryCapacity, vcpuCapacity } from './overcommit.js';
import { pipelineFor, rejectionOf, staticKeyOf, type Pipeline } from './pipeline.js';
import type { HostState, Rejection, VmRequest } from './types.js';
import type { Weigher } from './weigher.js';
import { weighersFor } from './weighers/weighers-for.js';

/** What a claim added to a host, kept so that `release` takes back exactly that. */
export interface Claim {
  readonly host: string;
  readonly vm: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  /** Groups whose count on the host went up by one. */
  readonly groups: readonly string[];
}

/** A claim made, or the filter that refused it. */
export type ClaimResult = { readonly ok: true; readonly claim: Claim } | { readonly ok: false; readonly rejectedBy: Rejection };

/** A placement through the ledger: chosen and claimed, or why no host fits. */
export type LedgerPlacement = { readonly ok: true; readonly host: string; readonly claim: Claim } | { readonly ok: false; readonly error: NoHostFits };

/** How many distinct static keys a ledger remembers the candidate hosts of. */
const MAX_CACHED_KEYS = 1024;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type LedgerHost = Omit<Mutable<HostState>, 'used' | 'groups'> & { used: Mutable<HostState['used']>; groups: Record<string, number> };

/**
 * The cluster's hosts with the claims made on them so far: placing VMs one by one through a
 * ledger, each placement sees the ones before. Pure and in memory; it works on copies and never
 * changes the HostState objects it was given, and it changes only their `used` and `groups`.
 *
 * A claim is atomic: it checks every filter again on the host's current state and applies the
 * VM's size and group memberships only if all still pass, so two decisions taken on the same
 * stale view cannot both land when together they would overcommit the host or break an
 * anti-affinity group: the second is refused and is placed again. In the daemon the claim will
 * be one database transaction, a conditional update of the host's row (used + request within
 * capacity, group counts within their limits) that changes no row when it no longer holds; this
 * class is the model it must agree with.
 *
 * Placements choose exactly what `place` would on `hosts`, faster: the verdicts of the static
 * filters are kept per static key, each host's free room is kept in an array, and hosts are kept
 * ranked by the best score they could reach, so that a placement stops once no host left can
 * beat the best found (see chooseRanked).
 */
export class ClaimLedger {
  readonly #hosts: LedgerHost[];
  readonly #index = new Map<string, number>();
  readonly #totals = new Map<string, number>();
  readonly #live = new Set<Claim>();
  readonly #ctx: SchedulingContext;
  /** Static key → 1 for each host passing the static filters of VMs with that key. */
  readonly #members = new Map<string, Uint8Array>();
  /** The weighers that apply to every VM: the ranking's bound is theirs. */
  readonly #ranked: readonly Weigher[];
  readonly #ranking: HostRanking;
  /** Free vCPUs, memory and disk of each host, three to a host, as the capacity filter counts them. */
  readonly #room: Float64Array;

  /** Copies `hosts` (names must be unique). */
  constructor(hosts: readonly HostState[], config: SchedulerConfig = defaultSchedulerConfig) {
    this.#hosts = hosts.map(copyHost);
    this.#hosts.forEach((h, i) => {
      if (this.#index.has(h.name)) throw new Error(`host ${h.name} is listed twice`);
      this.#index.set(h.name, i);
      for (const g in h.groups) this.#totals.set(g, (this.#totals.get(g) ?? 0) + h.groups[g]!);
    });
    const totals = this.#totals;
    this.#ctx = { config, groupTotal: (group) => totals.get(group) ?? 0 };
    this.#room = new Float64Array(3 * this.#hosts.length);
    this.#hosts.forEach((_, i) => this.#measureRoom(i));
    this.#ranked = weighersFor(config).filter((w) => w.weight(config) !== 0 && !w.appliesTo);
    this.#ranking = new HostRanking(
      this.#hosts.map((h) => h.name),
      (i) => this.#bound(i),
    );
  }

  /** The hosts as they stand with every claim so far. Live: read it, do not keep it. */
  get hosts(): readonly HostState[] {
    return this.#hosts;
  }

  /** One host as it stands, or undefined if the ledger has no such host. */
  host(name: string): HostState | undefined {
    const i = this.#index.get(name);
    return i === undefined ? undefined : this.#hosts[i];
  }

  /** Members of the group on all hosts together. */
  groupTotal(group: string): number {
    return this.#totals.get(group) ?? 0;
  }

  /** Chooses the host for `vm` (the one `place` would choose) and claims it, in one step. */
  place(vm: VmRequest): LedgerPlacement {
    const pipeline = pipelineFor(vm, this.#ctx.config);
    // The most the weighers outside the ranking can add: their scores are at most 1.
    let extra = 0;
    for (let k = 0; k < pipeline.weighers.length; k++) if (!this.#ranked.includes(pipeline.weighers[k]!)) extra += pipeline.weights[k]!;
    const i = chooseRanked(this.#hosts, vm, this.#ctx, pipeline, this.#ranking, this.#membersFor(pipeline, vm), this.#room, extra);
    if (i < 0) return { ok: false, error: noHostFits(this.#hosts, vm, this.#ctx) };
    const claim = this.#apply(i, vm);
    return { ok: true, host: claim.host, claim };
  }

  /** Explains where `vm` would go now, claiming nothing. */
  explain(vm: VmRequest): Explanation {
    return explainIn(this.#hosts, vm, this.#ctx);
  }

  /**
   * Claims `host` for `vm`, a host chosen earlier, perhaps on a view that has changed since: every
   * filter is checked again on the host as it stands now, and nothing changes if one refuses.
   */
  claim(host: string, vm: VmRequest): ClaimResult {
    const i = this.#index.get(host);
    if (i === undefined) return { ok: false, rejectedBy: { filter: 'host', reason: `no host ${host}` } };
    const rejectedBy = rejectionOf(pipelineFor(vm, this.#ctx.config).filters, this.#hosts[i]!, vm, this.#ctx);
    return rejectedBy ? { ok: false, rejectedBy } : { ok: true, claim: this.#apply(i, vm) };
  }

  /**
   * Gives back what `claim` took (the VM was deleted, or its creation failed). Releasing a claim
   * twice, or one from another ledger, changes nothing and returns false.
   */
  release(claim: Claim): boolean {
    if (!this.#live.delete(claim)) return false;
    const i = this.#index.get(claim.host)!;
    const h = this.#hosts[i]!;
    h.used.vcpus -= claim.vcpus;
    h.used.memoryMiB -= claim.memoryMiB;
    h.used.diskGiB -= claim.diskGiB;
    for (const g of claim.groups) {
      h.groups[g] = h.groups[g]! - 1;
      this.#totals.set(g, this.#totals.get(g)! - 1);
    }
    this.#measureRoom(i);
    this.#ranking.update(i, this.#bound(i));
    return true;
  }

  #apply(i: number, vm: VmRequest): Claim {
    const h = this.#hosts[i]!;
    h.used.vcpus += vm.vcpus;
    h.used.memoryMiB += vm.memoryMiB;
    h.used.diskGiB += vm.diskGiB;
    const groups = [...new Set(vm.groups?.map((g) => g.name))];
    for (const g of groups) {
      h.groups[g] = (h.groups[g] ?? 0) + 1;
      this.#totals.set(g, (this.#totals.get(g) ?? 0) + 1);
    }
    this.#measureRoom(i);
    this.#ranking.update(i, this.#bound(i));
    const claim: Claim = { host: h.name, vm: vm.name, vcpus: vm.vcpus, memoryMiB: vm.memoryMiB, diskGiB: vm.diskGiB, groups };
    this.#live.add(claim);
    return claim;
  }

  /** Records host `i`'s free room, with the capacity filter's arithmetic (so the same verdicts). */
  #measureRoom(i: number): void {
    const h = this.#hosts[i]!;
    const config = this.#ctx.config;
    this.#room[3 * i] = vcpuCapacity(h, config) - h.used.vcpus;
    this.#room[3 * i + 1] = memoryCapacity(h, config) - h.used.memoryMiB;
    this.#room[3 * i + 2] = diskCapacity(h, config) - h.used.diskGiB;
  }

  /** The most host `i` can score from the ranked weighers, whatever the VM. */
  #bound(i: number): number {
    const config = this.#ctx.config;
    let bound = 0;
    for (const w of this.#ranked) bound += w.weight(config) * (w.ceiling ? w.ceiling(this.#hosts[i]!, this.#ctx) : 1);
    return bound;
  }

  /** Which hosts pass the VM's static filters, worked out once per static key. */
  #membersFor(pipeline: Pipeline, vm: VmRequest): Uint8Array {
    const key = staticKeyOf(pipeline, vm);
    let members = this.#members.get(key);
    if (!members) {
      members = new Uint8Array(this.#hosts.length);
      hosts: for (let i = 0; i < this.#hosts.length; i++) {
        for (const f of pipeline.staticFilters) if (!f.passes(this.#hosts[i]!, vm, this.#ctx)) continue hosts;
        members[i] = 1;
      }
      // Selectors can be anything: past a bound, start again rather than grow without end.
      if (this.#members.size >= MAX_CACHED_KEYS) this.#members.clear();
      this.#members.set(key, members);
    }
    return members;
  }
}

/** A copy the ledger may change; every copy has the same shape, which keeps property reads fast. */
function copyHost(h: HostState): LedgerHost {
  return {
    name: h.name,
    cpus: h.cpus,
    memoryMiB: h.memoryMiB,
    diskGiB: h.diskGiB,
    used: { vcpus: h.used.vcpus, memoryMiB: h.used.memoryMiB, diskGiB: h.used.diskGiB },
    overcommit: h.overcommit,
    labels: h.labels,
    maintenance: h.maintenance,
    accel: h.accel,
    pools: h.pools,
    networks: h.networks,
    load: h.load,
    groups: { ...h.groups },
  };
}
