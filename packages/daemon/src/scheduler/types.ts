/**
 * What the placement scheduler reads: hosts as the cluster sees them, and the VM being placed.
 * Plain data, as it comes out of the database; the scheduler never changes these objects
 * (a ClaimLedger works on its own copies).
 */

/** Overcommit ratios: how many times a resource may be handed out (vCPUs per core, etc.). */
export interface Overcommit {
  readonly cpu: number;
  readonly memory: number;
  readonly disk: number;
}

/** How much of a host the VMs placed on it have claimed (requested sizes, not measured use). */
export interface HostUsage {
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
}

/** Accelerator a host offers: `kvm` when /dev/kvm is usable, `tcg` otherwise. */
export type Accel = 'kvm' | 'tcg';

/** One host of the cluster, as the scheduler sees it. */
export interface HostState {
  readonly name: string;
  /** Physical CPU threads. */
  readonly cpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly used: HostUsage;
  /** Per-host ratios; a ratio left out takes the SchedulerConfig default. */
  readonly overcommit?: Partial<Overcommit>;
  readonly labels: Readonly<Record<string, string>>;
  /** A host in maintenance takes no new VMs. */
  readonly maintenance: boolean;
  readonly accel: Accel;
  /** Storage pools this host can reach. */
  readonly pools: readonly string[];
  /** Networks present (bridged or overlaid) on this host. */
  readonly networks: readonly string[];
  /** Latest metrics, if the host has reported any: `cpu` is busy time, 0..1. */
  readonly load?: { readonly cpu: number };
  /** Group name → how many of that group's VMs run on this host (every policy). */
  readonly groups: Readonly<Record<string, number>>;
}

/**
 * A group the VM belongs to. `affinity`: members together; `anti-affinity`: members apart.
 * `hard` groups are filters (a host that breaks them is rejected), soft groups are weighers (a
 * host that breaks them scores lower). `maxPerHost` (default 1) is how many members of an
 * anti-affinity group one host may hold; affinity groups ignore it.
 */
export interface GroupRequest {
  readonly name: string;
  readonly policy: 'affinity' | 'anti-affinity';
  readonly hard: boolean;
  readonly maxPerHost?: number;
}

/** The VM to place: its size and what it needs from a host. */
export interface VmRequest {
  readonly name: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  /** Every pair must equal one of the host's labels. */
  readonly selector?: Readonly<Record<string, string>>;
  /** `kvm` needs a KVM host; `tcg` runs anywhere (every host can emulate). */
  readonly accel?: Accel;
  /** Storage pool the VM's disks live in: the host must reach it. */
  readonly pool?: string;
  /** Networks the VM has NICs on: the host must have all of them. */
  readonly networks?: readonly string[];
  /** Orders a batch: `placeMany` places higher priorities first (default 0). */
  readonly priority?: number;
  readonly groups?: readonly GroupRequest[];
}

/** Which filter turned a host down, and why, in words for the user. */
export interface Rejection {
  readonly filter: string;
  readonly reason: string;
}
