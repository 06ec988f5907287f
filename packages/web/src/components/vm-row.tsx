/** One row of the VM list: selection, name, live state, size, image, accelerator, start/stop. */
import { formatSize, type Vm } from '@herd/api';
import { Link } from './link.js';
import { Pure } from './pure.js';
import { StateBadge } from './state-badge.js';
import { VmActionButtons } from './vm-action-buttons.js';

/** Props of {@link VmRow}; pass stable callbacks so unchanged rows are not re-rendered. */
export interface VmRowProps {
  readonly vm: Vm;
  readonly selected: boolean;
  readonly onToggle: (id: string) => void;
  readonly onError: (message: string) => void;
}

/** A VM list row; the ids are `vm-${name}-row`, `-select`, `-link`, `-state`, `-start`, `-stop`. */
export class VmRow extends Pure<VmRowProps> {
  override render({ vm, selected, onToggle, onError }: VmRowProps) {
    return (
      <div class="vm-row" id={`vm-${vm.name}-row`} data-state={vm.state}>
        <span role="cell" class="c-select">
          <input type="checkbox" id={`vm-${vm.name}-select`} aria-label={`Select ${vm.name}`} checked={selected} onChange={() => onToggle(vm.id)} />
        </span>
        <span role="cell" class="c-name">
          <Link href={`/vms/${vm.name}`} id={`vm-${vm.name}-link`}>
            {vm.name}
          </Link>
        </span>
        <span role="cell" class="c-state">
          <StateBadge state={vm.state} id={`vm-${vm.name}-state`} />
        </span>
        <span role="cell" class="c-num">
          {vm.spec.cpus}
        </span>
        <span role="cell" class="c-num">
          {formatSize(vm.spec.memoryMiB * 1024 * 1024)}
        </span>
        <span role="cell" class="c-image">
          {vm.spec.image}
        </span>
        <span role="cell" class="c-accel">
          {vm.accel ?? '—'}
        </span>
        <span role="cell" class="c-actions">
          <VmActionButtons vm={vm} actions={['start', 'stop']} onError={onError} />
        </span>
      </div>
    );
  }
}
