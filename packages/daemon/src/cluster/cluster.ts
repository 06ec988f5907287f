/**
 * This host's membership of the cluster, as the rest of the daemon sees it: its name, whether
 * it leads, and the callbacks through which the HA loop, the scheduler and the VM agent learn
 * that it was elected, deposed, fenced or recovered. A single-host installation is a cluster
 * of one: it registers, heartbeats and leads the same way.
 */
import type { Logger } from 'pino';
import type { Db } from '../store/open-database.js';
import { HostHeartbeat } from './heartbeat.js';
import type { HostLiveFacts, HostRegistration, HostRepo } from './host-repo.js';
import { LeaderLease } from './leader-lease.js';

/** Timings of membership (defaults: heartbeat 2 s, host lease 10 s, fence margin 2 s, leader lease 6 s). */
export interface ClusterTimings {
  readonly heartbeatMs?: number;
  readonly hostLeaseMs?: number;
  readonly fenceMarginMs?: number;
  readonly leaderLeaseMs?: number;
}

/** This host in the cluster. */
export interface Cluster {
  /** This host's name: `hosts.name`, and the `host` of the VMs it runs. */
  readonly hostName: string;
  /** The hosts table, for the leader's HA loop and the scheduler. */
  readonly hostRepo: HostRepo;
  /**
   * The heartbeat: `leaseMs` (how long a host lease lasts, by the database's clock),
   * `heartbeatMs`, `fenceMarginMs`, `fenceDeadline` (monotonic ms) and `fenced`.
   */
  readonly heartbeat: HostHeartbeat;
  /** The leader lease: `leaseMs`, `renewMs`, `term`. */
  readonly leaderLease: LeaderLease;
  /** Whether this host leads now. Any time. */
  isLeader(): boolean;
  /** The term this host leads in, or undefined. */
  term(): number | undefined;
  /** `fn(term)` whenever this host becomes leader, and at once if it leads; returns the unsubscriber. */
  onElected(fn: (term: number) => void): () => void;
  /** `fn(reason)` whenever this host stops leading (also at shutdown); returns the unsubscriber. */
  onDeposed(fn: (reason: string) => void): () => void;
  /** `fn(reason)` once when this host must stop its VMs (its lease may run out), and at once if it must already. */
  onFence(fn: (reason: string) => void): () => void;
  /** `fn()` when a renewal succeeds again after a fence. */
  onRecovered(fn: () => void): () => void;
  /** `fn(renewStartedAt, fenceDeadline)` (monotonic ms) after every successful renewal: what the fence guard follows. */
  onRenewed(fn: (renewStartedAt: number, fenceDeadline: number) => void): () => void;
}

/** A joined cluster and how to leave it. */
export interface Membership {
  readonly cluster: Cluster;
  /** Stops heartbeats (the host lease runs out) and gives up the leader lease at once. Idempotent. */
  leave(): Promise<void>;
}

/**
 * Registers this host and starts its heartbeat and its bid for the leader lease. Throws when
 * the host cannot register (the database cannot be written): the daemon must not start then.
 * Call once at daemon start.
 */
export async function joinCluster(
  db: Db,
  hostRepo: HostRepo,
  registration: HostRegistration,
  readFacts: () => Promise<HostLiveFacts>,
  timings: ClusterTimings = {},
  log?: Logger,
): Promise<Membership> {
  const heartbeat = new HostHeartbeat(hostRepo, registration, readFacts, {
    ...(timings.heartbeatMs !== undefined && { heartbeatMs: timings.heartbeatMs }),
    ...(timings.hostLeaseMs !== undefined && { leaseMs: timings.hostLeaseMs }),
    ...(timings.fenceMarginMs !== undefined && { fenceMarginMs: timings.fenceMarginMs }),
    ...(log && { log }),
  });
  const leaderLease = new LeaderLease(db, { holder: registration.name, ...(timings.leaderLeaseMs !== undefined && { leaseMs: timings.leaderLeaseMs }), ...(log && { log }) });
  await heartbeat.start();
  leaderLease.start();
  const cluster: Cluster = {
    hostName: registration.name,
    hostRepo,
    heartbeat,
    leaderLease,
    isLeader: () => leaderLease.isLeader(),
    term: () => leaderLease.term,
    onElected: (fn) => leaderLease.onElected(fn),
    onDeposed: (fn) => leaderLease.onDeposed(fn),
    onFence: (fn) => heartbeat.onFence(fn),
    onRecovered: (fn) => heartbeat.onRecovered(fn),
    onRenewed: (fn) => heartbeat.onRenewed(fn),
  };
  let left: Promise<void> | undefined;
  return {
    cluster,
    leave: () => (left ??= Promise.all([heartbeat.stop(), leaderLease.release()]).then(() => undefined)),
  };
}
