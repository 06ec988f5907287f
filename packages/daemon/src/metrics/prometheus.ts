/**
 * The Prometheus exposition (`GET /metrics`): gauges and counters filled from the sampler's
 * latest round at scrape time, so a scrape costs no /proc reads and no QMP. Names carry the
 * `herd_` prefix; VM series have `vm` (name) and `id` labels. VMs that stopped drop out at the
 * next round.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { LatestSnapshot, VmLatest } from './latest.js';
import type { SamplerStats } from './sampler.js';

type VmLabels = 'vm' | 'id';

/** Builds the registry; `latest` and `stats` are read at every scrape. */
export function prometheusRegistry(latest: () => LatestSnapshot, stats: () => SamplerStats): Registry {
  const registry = new Registry();
  const registers = [registry];

  const vmGauge = (name: string, help: string, value: (v: VmLatest) => number | undefined) =>
    new Gauge<VmLabels>({
      name,
      help,
      labelNames: ['vm', 'id'],
      registers,
      collect() {
        this.reset();
        for (const v of latest().vms.values()) {
          const x = value(v);
          if (x !== undefined) this.set({ vm: v.name, id: v.id }, x);
        }
      },
    });
  const vmCounter = (name: string, help: string, value: (v: VmLatest) => number | undefined) =>
    new Counter<VmLabels>({
      name,
      help,
      labelNames: ['vm', 'id'],
      registers,
      collect() {
        this.reset();
        for (const v of latest().vms.values()) {
          const x = value(v);
          if (x !== undefined) this.inc({ vm: v.name, id: v.id }, x);
        }
      },
    });
  const hostGauge = (name: string, help: string, value: () => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const x = value();
        if (x !== undefined) this.set(x);
      },
    });
  const host = () => latest().host;

  new Gauge<'vm' | 'id' | 'state'>({
    name: 'herd_vm_info',
    help: 'A VM whose QEMU runs on this host (1), with its state',
    labelNames: ['vm', 'id', 'state'],
    registers,
    collect() {
      this.reset();
      for (const v of latest().vms.values()) this.set({ vm: v.name, id: v.id, state: v.state }, 1);
    },
  });
  vmGauge('herd_vm_cpu_percent', 'CPU used by the VM (its QEMU process), percent of one host CPU', (v) => v.cpuPercent);
  vmCounter('herd_vm_cpu_seconds_total', 'CPU time used by the VM (its QEMU process)', (v) => v.cpuSecondsTotal);
  new Gauge<'vm' | 'id' | 'vcpu'>({
    name: 'herd_vm_vcpu_cpu_percent',
    help: 'CPU used by one vCPU thread, percent of one host CPU',
    labelNames: ['vm', 'id', 'vcpu'],
    registers,
    collect() {
      this.reset();
      for (const v of latest().vms.values())
        for (const c of v.vcpus) if (c.percent !== undefined) this.set({ vm: v.name, id: v.id, vcpu: String(c.index) }, c.percent);
    },
  });
  vmGauge('herd_vm_memory_rss_bytes', 'Resident memory of the VM (its QEMU process)', (v) => v.memoryRssBytes);
  vmCounter('herd_vm_disk_read_bytes_total', 'Bytes the guest read from its disks', (v) => v.disk?.rdBytes);
  vmCounter('herd_vm_disk_written_bytes_total', 'Bytes the guest wrote to its disks', (v) => v.disk?.wrBytes);
  vmCounter('herd_vm_disk_reads_total', 'Read requests of the guest', (v) => v.disk?.rdOps);
  vmCounter('herd_vm_disk_writes_total', 'Write requests of the guest', (v) => v.disk?.wrOps);
  vmGauge('herd_vm_disk_read_bytes_per_second', 'Disk read rate over the last sampling interval', (v) => v.disk?.rdBytesPerSecond);
  vmGauge('herd_vm_disk_write_bytes_per_second', 'Disk write rate over the last sampling interval', (v) => v.disk?.wrBytesPerSecond);
  vmCounter('herd_vm_network_receive_bytes_total', 'Bytes the VM received (its taps)', (v) => v.net?.rxBytes);
  vmCounter('herd_vm_network_transmit_bytes_total', 'Bytes the VM sent (its taps)', (v) => v.net?.txBytes);

  hostGauge('herd_host_cpu_percent', 'CPU used on the host, percent of all CPUs', () => host()?.cpuPercent);
  hostGauge('herd_host_memory_total_bytes', 'Host memory', () => host()?.memoryTotalBytes);
  hostGauge('herd_host_memory_available_bytes', 'Host memory available without swapping', () => host()?.memoryAvailableBytes);
  hostGauge('herd_host_memory_used_bytes', 'Host memory in use (total minus available)', () => {
    const h = host();
    return h?.memoryTotalBytes !== undefined && h.memoryAvailableBytes !== undefined ? h.memoryTotalBytes - h.memoryAvailableBytes : undefined;
  });
  hostGauge('herd_host_load1', '1-minute load average', () => host()?.load?.[0]);
  hostGauge('herd_host_load5', '5-minute load average', () => host()?.load?.[1]);
  hostGauge('herd_host_load15', '15-minute load average', () => host()?.load?.[2]);
  hostGauge('herd_host_vms_running', 'VMs running or paused on this host', () => host()?.vmsRunning);
  const poolGauge = (name: string, help: string, key: 'usedBytes' | 'capacityBytes' | 'availableBytes') =>
    new Gauge<'pool'>({
      name,
      help,
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const p of host()?.pools ?? []) this.set({ pool: p.name }, p[key]);
      },
    });
  poolGauge('herd_pool_used_bytes', 'Bytes used on the file system of a storage pool', 'usedBytes');
  poolGauge('herd_pool_capacity_bytes', 'Size of the file system of a storage pool', 'capacityBytes');
  poolGauge('herd_pool_available_bytes', 'Bytes still available in a storage pool', 'availableBytes');

  hostGauge('herd_daemon_resident_memory_bytes', 'Resident memory of the herd daemon', () => process.memoryUsage.rss());
  const samplerCounter = (name: string, help: string, value: (s: SamplerStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(value(stats()));
      },
    });
  samplerCounter('herd_sampler_rounds_total', 'Sampling rounds run', (s) => s.rounds);
  samplerCounter('herd_sampler_vm_samples_total', 'VM readings taken (one VM in one round)', (s) => s.vmSamples);
  samplerCounter('herd_sampler_cpu_seconds_total', 'CPU time of sampling rounds, from the first read to the stored batch (includes what ran meanwhile)', (s) => s.cpuMicros / 1e6);
  samplerCounter('herd_sampler_read_cpu_seconds_total', 'CPU time of the /proc reads and rate arithmetic of sampling rounds', (s) => s.readCpuMicros / 1e6);
  hostGauge('herd_sampler_last_round_seconds', 'Wall time of the last sampling round', () => stats().lastRoundMs / 1000);
  return registry;
}
