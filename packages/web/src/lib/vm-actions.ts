/** Runs a VM action through the API; the result arrives as events, so nothing is awaited beyond the request. */
import type { Operation, RouteId, VmAction } from '@herd/api';
import { client } from './client.js';

/** Asks the daemon to do `action` on VM `id` (its id or name); resolves to the operation started. */
export function runVmAction(id: string, action: VmAction, options: { readonly force?: boolean } = {}): Promise<Operation> {
  const params = { id };
  switch (action) {
    case 'start':
      return client.call('startVm', { params, body: {} });
    case 'stop':
      return client.call('stopVm', { params, body: options.force ? { force: true } : {} });
    case 'restart':
      return client.call('restartVm', { params, body: {} });
    case 'pause':
      return client.call('pauseVm', { params, body: {} });
    case 'resume':
      return client.call('resumeVm', { params, body: {} });
    case 'delete':
      return client.call('deleteVm', { params });
  }
}

/** The route each action calls, to ask whether the user's role allows it. */
export const actionRoutes: Readonly<Record<VmAction, RouteId>> = {
  start: 'startVm',
  stop: 'stopVm',
  restart: 'restartVm',
  pause: 'pauseVm',
  resume: 'resumeVm',
  delete: 'deleteVm',
};

/** Button labels of the actions. */
export const actionLabels: Readonly<Record<VmAction, string>> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  pause: 'Pause',
  resume: 'Resume',
  delete: 'Delete',
};
