/** Chooses the accelerator for a VM from its preference and what the host can do. Pure. */
import { HerdError } from '@herd/api';

/** What the host's accelerator probe found. */
export interface HostAccel {
  /** The accelerator VMs with preference `auto` get. */
  readonly accel: 'kvm' | 'tcg';
  readonly kvmUsable: boolean;
  readonly reason: string;
}

/** The accelerator a VM with `preference` runs with on this host; throws accel_unavailable. */
export function resolveAccel(preference: 'auto' | 'kvm' | 'tcg', host: HostAccel): 'kvm' | 'tcg' {
  if (preference === 'auto') return host.accel;
  if (preference === 'kvm' && !host.kvmUsable) throw new HerdError('accel_unavailable', { accel: 'kvm', reason: host.reason });
  return preference;
}
