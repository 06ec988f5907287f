/** `useCan`: whether the signed-in user's role lets them call a route, to hide what would be refused. */
import type { RouteId } from '@herd/api';
import { mayCall } from './access.js';
import { useSession } from './session.js';

/** A test for routes: true when the user may call `route` in the project the page acts in. */
export function useCan(): (route: RouteId) => boolean {
  const s = useSession();
  return (route) => s.kind === 'in' && mayCall(s.who, s.project, route);
}
