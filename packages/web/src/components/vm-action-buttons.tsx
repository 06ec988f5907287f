/**
 * The action buttons of one VM. A button shows only when the user's role allows the action,
 * and is enabled only when the shared predicate of @herd/api allows it in the VM's current
 * state; ids are `vm-${name}-${action}`.
 * Delete asks for a second click (`vm-${name}-delete-confirm`).
 */
import { isActionAllowed, type Vm, type VmAction } from '@herd/api';
import { useState } from 'preact/hooks';
import { errorMessage } from '../lib/errors.js';
import { useCan } from '../lib/use-can.js';
import { actionLabels, actionRoutes, runVmAction } from '../lib/vm-actions.js';

/** Props of {@link VmActionButtons}. */
export interface VmActionButtonsProps {
  readonly vm: Vm;
  readonly actions: readonly VmAction[];
  /** Offers a forced stop too. */
  readonly forceStop?: boolean;
  /** Called with an error message when an action is refused. */
  readonly onError: (message: string) => void;
  /** Called after delete was accepted. */
  readonly onDeleted?: () => void;
}

/** Buttons for `actions` on `vm`. */
export function VmActionButtons({ vm, actions, forceStop, onError, onDeleted }: VmActionButtonsProps) {
  const can = useCan();
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const run = async (action: VmAction, force = false) => {
    setBusy(action);
    try {
      await runVmAction(vm.id, action, { force });
      if (action === 'delete') onDeleted?.();
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setBusy(undefined);
      setConfirming(false);
    }
  };
  const button = (action: VmAction) => {
    const allowed = isActionAllowed(vm.state, action);
    const onClick = () => (action === 'delete' ? setConfirming(true) : void run(action));
    return (
      <button
        type="button"
        key={action}
        id={`vm-${vm.name}-${action}`}
        class={action === 'delete' ? 'danger' : action === 'start' ? 'primary' : ''}
        disabled={!allowed || busy !== undefined}
        title={allowed ? undefined : `not allowed while ${vm.state}`}
        aria-label={`${actionLabels[action]} ${vm.name}`}
        onClick={onClick}
      >
        {busy === action ? `${actionLabels[action]}…` : actionLabels[action]}
      </button>
    );
  };
  return (
    <div class="actions" role="group" aria-label={`Actions for ${vm.name}`}>
      {actions.filter((a) => can(actionRoutes[a])).map(button)}
      {forceStop && can(actionRoutes.stop) && (
        <button
          type="button"
          id={`vm-${vm.name}-force-stop`}
          disabled={!isActionAllowed(vm.state, 'stop') || busy !== undefined}
          aria-label={`Force stop ${vm.name}`}
          onClick={() => void run('stop', true)}
        >
          Force stop
        </button>
      )}
      {confirming && (
        <span class="confirm" role="group" aria-label="Confirm delete">
          <span>Delete {vm.name} and its disk?</span>
          <button type="button" class="danger" id={`vm-${vm.name}-delete-confirm`} onClick={() => void run('delete')} autoFocus>
            Delete
          </button>
          <button type="button" id={`vm-${vm.name}-delete-cancel`} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      )}
    </div>
  );
}
