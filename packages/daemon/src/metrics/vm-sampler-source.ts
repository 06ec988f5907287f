/** Connects the sampler to herd's VMs: running VMs from the repo, disk counters over QMP. */
import type { VmInstance } from '../vm/vm-instance.js';
import type { VmRepo } from '../vm/vm-repo.js';
import type { SampledVm, SamplerSource } from './sampler.js';

/** The sampler's view of this host's VMs. `instances` is the reconciler. */
export function vmSamplerSource(vms: VmRepo, instances: { instance(vmId: string): VmInstance | undefined }): SamplerSource {
  return {
    runningVms: async () => {
      const out: SampledVm[] = [];
      for (const v of await vms.list())
        if ((v.state === 'running' || v.state === 'paused') && v.pid) out.push({ id: v.id, name: v.name, pid: v.pid, state: v.state, taps: [] });
      return out;
    },
    blockStats: async (vmId) => instances.instance(vmId)?.blockStats(),
  };
}
