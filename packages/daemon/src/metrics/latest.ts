/** The latest values the sampler read, kept in memory for `/metrics` and `herd top`. */

/** The last reading of one VM. Undefined values are not known yet (rates need two readings). */
export interface VmLatest {
  readonly id: string;
  readonly name: string;
  readonly state: 'running' | 'paused';
  readonly cpuPercent: number | undefined;
  /** Cumulative CPU time of the QEMU process. */
  readonly cpuSecondsTotal: number;
  readonly vcpus: readonly { readonly index: number; readonly percent: number | undefined }[];
  readonly memoryRssBytes: number | undefined;
  readonly disk:
    | {
        readonly rdBytes: number;
        readonly wrBytes: number;
        readonly rdOps: number;
        readonly wrOps: number;
        readonly rdBytesPerSecond: number | undefined;
        readonly wrBytesPerSecond: number | undefined;
        readonly rdOpsPerSecond: number | undefined;
        readonly wrOpsPerSecond: number | undefined;
      }
    | undefined;
  readonly net:
    | { readonly rxBytes: number; readonly txBytes: number; readonly rxBytesPerSecond: number | undefined; readonly txBytesPerSecond: number | undefined }
    | undefined;
}

/** The last reading of the host. */
export interface HostLatest {
  readonly cpuPercent: number | undefined;
  readonly memoryTotalBytes: number | undefined;
  readonly memoryAvailableBytes: number | undefined;
  readonly load: readonly [number, number, number] | undefined;
  readonly vmsRunning: number;
  readonly pools: readonly { readonly name: string; readonly capacityBytes: number; readonly usedBytes: number; readonly availableBytes: number }[];
}

/** One round's values. `time` is 0 before the first round. */
export interface LatestSnapshot {
  readonly time: number;
  readonly intervalMs: number;
  readonly host: HostLatest | undefined;
  readonly vms: ReadonlyMap<string, VmLatest>;
}
