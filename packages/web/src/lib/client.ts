/**
 * The one place the web UI talks to the daemon: a typed client from @herd/api on the origin
 * that served the page. Every page and component calls the API through this instance. The
 * session changes while the page lives (sign in, another project), so every request takes the
 * token and the project from the session as it is sent; an answer saying the token is not
 * accepted (401 unauthenticated) ends the session, which brings up the login page.
 */
import { HerdClient, projectHeader } from '@herd/api';
import { credentials, tokenRejected } from './session.js';

async function sessionFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const { token, project } = credentials();
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  if (project !== undefined) headers.set(projectHeader, project);
  const res = await fetch(input, { ...init, headers });
  if (res.status === 401 && token !== undefined && (await errorCode(res)) === 'unauthenticated') tokenRejected(token);
  return res;
}

async function errorCode(res: Response): Promise<unknown> {
  try {
    return ((await res.clone().json()) as { error?: { code?: unknown } }).error?.code;
  } catch {
    return undefined;
  }
}

/** The client for the daemon that served this page, as the signed-in user in their current project. */
export const client = new HerdClient({ url: window.location.origin, fetch: sessionFetch });

/**
 * The WebSocket URL that opens `console` of VM `vm` (its name or id) once. A browser cannot put
 * headers on a WebSocket, so this first asks for a single-use ticket (valid for 30 s, bound to
 * the VM and to the user), which rides in the URL.
 */
export async function consoleSocketUrl(vm: string, console: 'serial' | 'vnc'): Promise<string> {
  const { ticket } = await client.call('createConsoleTicket', { params: { id: vm }, body: { console } });
  return console === 'vnc' ? client.vncUrl(vm, ticket) : client.routeUrl('getVmConsole', { id: vm }, { ticket }).replace(/^http/, 'ws');
}
