import type { Filter } from '../filter.js';

/** Rejects a host that lacks any of the networks the VM has NICs on; names all it lacks. */
export const networksFilter: Filter = {
  name: 'networks',
  appliesTo: (vm) => (vm.networks?.length ?? 0) > 0,
  passes(host, vm) {
    const nets = vm.networks!;
    for (let i = 0; i < nets.length; i++) if (!host.networks.includes(nets[i]!)) return false;
    return true;
  },
  reason(host, vm) {
    const missing = vm.networks!.filter((n) => !host.networks.includes(n));
    return `lacks network${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  },
  staticKey: (vm) => vm.networks!.join('\u0000'),
};
