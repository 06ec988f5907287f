import type { Filter } from '../filter.js';

/** The first key of the VM's selector the host's labels do not match, or undefined. */
function firstMismatch(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>>): string | undefined {
  // for-in rather than Object.entries: this runs for every host, and must not allocate.
  for (const key in selector) if (labels[key] !== selector[key]) return key;
  return undefined;
}

/**
 * Rejects a host whose labels do not match every key=value of the VM's selector (like a
 * Kubernetes nodeSelector). Names the first pair that does not match.
 */
export const labelsFilter: Filter = {
  name: 'labels',
  appliesTo: (vm) => vm.selector !== undefined,
  passes: (host, vm) => firstMismatch(host.labels, vm.selector!) === undefined,
  reason(host, vm) {
    const key = firstMismatch(host.labels, vm.selector!)!;
    const has = host.labels[key];
    return `wants ${key}=${vm.selector![key]}, host has ${has === undefined ? `no ${key} label` : `${key}=${has}`}`;
  },
  staticKey: (vm) => JSON.stringify(vm.selector),
};
