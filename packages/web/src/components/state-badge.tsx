/** A VM's observed state as a coloured badge, with a stable id for tests. */
import type { VmState } from '@herd/api';

/** Shows `state`; `id` is `vm-${name}-state` where a VM is named. */
export function StateBadge({ state, id }: { readonly state: VmState; readonly id?: string }) {
  return (
    <span class={`badge state-${state}`} id={id} data-state={state}>
      {state}
    </span>
  );
}
