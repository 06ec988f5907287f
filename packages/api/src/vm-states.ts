/**
 * VM states and the actions each allows. The daemon enforces these, and the CLI and web UI use
 * the same predicates to offer only what will be accepted.
 */

/** Observed states of a VM, as reported in its `state`. */
export const vmStates = ['stopped', 'starting', 'running', 'paused', 'stopping', 'error'] as const;
/** An observed VM state. */
export type VmState = (typeof vmStates)[number];

/** Power states a user can ask for; the reconciler makes the VM match it. */
export const desiredStates = ['running', 'stopped', 'paused'] as const;
/** A desired power state. */
export type DesiredState = (typeof desiredStates)[number];

/** Actions on a VM, each a route `POST /vms/{id}/actions/{action}` (and delete). */
export const vmActions = ['start', 'stop', 'restart', 'pause', 'resume', 'delete'] as const;
/** A VM action. */
export type VmAction = (typeof vmActions)[number];

const allowed: Readonly<Record<VmState, readonly VmAction[]>> = {
  stopped: ['start', 'delete'],
  // A VM that hangs while starting or stopping can always be stopped (forced) or deleted.
  starting: ['stop', 'delete'],
  running: ['stop', 'restart', 'pause', 'delete'],
  // Stopping a paused VM is a forced stop: a paused guest cannot answer ACPI.
  paused: ['resume', 'stop', 'restart', 'delete'],
  stopping: ['stop', 'delete'],
  error: ['start', 'stop', 'delete'],
};

/** The actions allowed on a VM in `state`. */
export function allowedActions(state: VmState): readonly VmAction[] {
  return allowed[state];
}

/** Reports whether `action` is allowed on a VM in `state`. */
export function isActionAllowed(state: VmState, action: VmAction): boolean {
  return allowed[state].includes(action);
}
