/**
 * This host's live facts, as its heartbeat reports them: its capacity, how busy its CPUs are,
 * the pools it reaches and the networks present on it. Read in the background of the
 * heartbeat (heartbeat.ts), so a slow probe delays only the facts, never the lease.
 */
import { stat } from 'node:fs/promises';
import { readLoadavg } from '../metrics/proc-readers.js';
import type { NetworkRepo } from '../networks/network-repo.js';
import type { PoolService } from '../pools/pool-service.js';
import type { HostLiveFacts } from './host-repo.js';

/** What the facts are read from. */
export interface LocalFactsSources {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly pools: PoolService;
  readonly networks: NetworkRepo;
  /** Why herd networks cannot exist here (not root, ...), or undefined when they can. */
  readonly networkingUnavailable: string | undefined;
  /** Busy share of the host's CPUs in percent from the metrics sampler, when it has one. */
  readonly hostCpuPercent: () => number | undefined;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Returns the function that reads this host's live facts. */
export function localFactsReader(src: LocalFactsSources): () => Promise<HostLiveFacts> {
  return async () => {
    const [pools, networks] = await Promise.all([reachablePools(src.pools), presentNetworks(src)]);
    return {
      cpus: src.cpus,
      memoryMiB: Math.floor(src.memoryBytes / MiB),
      diskGiB: Math.floor(pools.capacityBytes / GiB),
      loadCpu: cpuLoad(src),
      pools: pools.names,
      networks,
    };
  };
}

/** The busy share of the CPUs, 0..1: the sampler's reading, else the 1-minute load average per CPU. */
function cpuLoad(src: LocalFactsSources): number | null {
  const pct = src.hostCpuPercent();
  const share = pct !== undefined ? pct / 100 : (readLoadavg()?.[0] ?? NaN) / Math.max(1, src.cpus);
  return Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : null;
}

/**
 * The pools whose storage answers here (a shared pool that is not mounted, a volume group on
 * another machine, do not), and their capacity counted once per file system or thin pool:
 * pools that are directories of one file system share its space.
 */
async function reachablePools(service: PoolService): Promise<{ names: string[]; capacityBytes: number }> {
  const rows = await service.rows();
  const seen = new Map<string, number>();
  const names: string[] = [];
  await Promise.all(
    rows.map(async (row) => {
      try {
        const space = await service.driver(row).space();
        const key = row.type === 'dir' && row.path ? `dev:${(await stat(row.path)).dev}` : `lvm:${row.volume_group}/${row.thin_pool}`;
        seen.set(key, space.capacityBytes);
        names.push(row.name);
      } catch {
        // Not reachable from this host.
      }
    }),
  );
  return { names: names.sort(), capacityBytes: [...seen.values()].reduce((a, b) => a + b, 0) };
}

/** The herd networks set up on this host: none where herd networks cannot exist. */
async function presentNetworks(src: LocalFactsSources): Promise<string[]> {
  if (src.networkingUnavailable !== undefined) return [];
  const rows = await src.networks.list();
  return rows.filter((n) => n.deleting === 0 && n.state === 'ready').map((n) => n.name);
}
