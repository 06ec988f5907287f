/**
 * The metrics herd samples, in one list: the sampler writes these names, the API and `herd
 * metrics` accept them, and the Prometheus exposition and the Grafana dashboard follow them.
 * Targets: a VM id for `vm_*` (a vCPU is `VMID/vcpuN`), `host` for `host_*`, a pool name for
 * `pool_*`.
 */

/** Metric names with their meaning and unit. */
export const metricCatalogue = {
  vm_cpu_percent: 'CPU used by the VM\'s QEMU process, percent of one host CPU (200 = two CPUs busy)',
  vm_vcpu_cpu_percent: 'CPU used by one vCPU thread, percent of one host CPU (target VMID/vcpuN)',
  vm_memory_rss_bytes: 'resident memory of the VM\'s QEMU process',
  vm_memory_balloon_bytes: 'guest memory as the balloon device reports it (when the VM has one)',
  vm_disk_read_bytes_per_second: 'bytes read by the guest from its disks per second',
  vm_disk_write_bytes_per_second: 'bytes written by the guest to its disks per second',
  vm_disk_read_ops_per_second: 'read requests per second',
  vm_disk_write_ops_per_second: 'write requests per second',
  vm_net_rx_bytes_per_second: 'bytes received by the VM per second (its taps)',
  vm_net_tx_bytes_per_second: 'bytes sent by the VM per second (its taps)',
  host_cpu_percent: 'CPU used on the host, percent of all CPUs',
  host_memory_used_bytes: 'host memory in use (total minus available)',
  host_memory_total_bytes: 'host memory',
  host_memory_available_bytes: 'host memory available to new work without swapping',
  host_load1: '1-minute load average',
  host_load5: '5-minute load average',
  host_load15: '15-minute load average',
  host_vms_running: 'VMs running or paused on the host',
  pool_used_bytes: 'bytes used on the file system of the storage pool',
  pool_capacity_bytes: 'usable size of the storage pool (used plus available): the pool is full when used reaches it',
  pool_available_bytes: 'bytes still available for herd in the storage pool',
} as const;

/** A metric herd samples. */
export type MetricName = keyof typeof metricCatalogue;

/** The target of host metrics. */
export const HOST_TARGET = 'host';

/** The target of one vCPU of a VM. */
export function vcpuTarget(vmId: string, index: number): string {
  return `${vmId}/vcpu${index}`;
}
