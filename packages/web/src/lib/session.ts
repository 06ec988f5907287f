/**
 * Who uses the page: the API token they signed in with and the project they act in, both kept
 * in localStorage (`herd.token`, `herd.project`) so that a reload keeps the session, and what
 * the daemon says about them (whoami, the projects they may pick). The page's one client
 * (client.ts) takes its credentials from here for every request and reports here when the
 * daemon no longer accepts the token; the app then shows the login page.
 */
import { HerdClient, HerdError, type Project, type Whoami } from '@herd/api';
import { useEffect, useState } from 'preact/hooks';
import { pickProject } from './access.js';
import { errorMessage } from './errors.js';

const tokenKey = 'herd.token';
const projectKey = 'herd.project';

/** A signed-in user: who they are, the projects they may pick from, and the one they act in. */
export interface SignedIn {
  readonly kind: 'in';
  readonly token: string;
  readonly who: Whoami;
  readonly projects: readonly Project[];
  /** The project every project route acts in (the `x-herd-project` header); undefined when there is none. */
  readonly project: string | undefined;
}

/** The session: signed in, being checked (a token kept from last time), or signed out (and why). */
export type Session = SignedIn | { readonly kind: 'checking' } | { readonly kind: 'out'; readonly reason?: string };

const rejectedText = 'Your token is no longer accepted (it expired or was revoked); paste a valid token to go on.';

let session: Session = stored(tokenKey) ? { kind: 'checking' } : { kind: 'out' };
const listeners = new Set<(s: Session) => void>();

function set(next: Session): void {
  session = next;
  for (const l of listeners) l(next);
}

function stored(key: string): string | undefined {
  try {
    return window.localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function store(key: string, value: string | undefined): void {
  try {
    if (value === undefined) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // storage is off (a private window, say): the session lasts as long as the page
  }
}

/** Asks the daemon who `token` belongs to and which projects they may act in. */
async function check(token: string, kept: string | undefined): Promise<SignedIn> {
  const probe = new HerdClient({ url: window.location.origin, token });
  const [who, projects] = await Promise.all([probe.call('getWhoami'), probe.call('listProjects')]);
  const sorted = [...projects].sort((a, b) => a.name.localeCompare(b.name));
  return { kind: 'in', token, who, projects: sorted, project: pickProject(sorted.map((p) => p.name), who, kept) };
}

function rejected(e: unknown): boolean {
  return e instanceof HerdError && e.code === 'unauthenticated';
}

/** The session now. */
export function currentSession(): Session {
  return session;
}

/** Calls `listener` with the session now and after every change; returns the unsubscribe function. */
export function subscribeSession(listener: (s: Session) => void): () => void {
  listeners.add(listener);
  listener(session);
  return () => void listeners.delete(listener);
}

/** The session, re-rendering the caller when it changes. */
export function useSession(): Session {
  const [now, setNow] = useState(session);
  useEffect(() => subscribeSession(setNow), []);
  return now;
}

/** What each request carries: the token and the project, while signed in. */
export function credentials(): { readonly token?: string; readonly project?: string } {
  return session.kind === 'in' ? { token: session.token, ...(session.project !== undefined ? { project: session.project } : {}) } : {};
}

/**
 * Checks the token kept from last time; call once when the page loads. A token the daemon
 * refuses is forgotten; when the daemon cannot be asked, it is kept for the next try.
 */
export async function resumeSession(): Promise<void> {
  const token = stored(tokenKey);
  if (!token) return set({ kind: 'out' });
  try {
    set(await check(token, stored(projectKey)));
  } catch (e) {
    if (rejected(e)) store(tokenKey, undefined);
    set({ kind: 'out', reason: rejected(e) ? rejectedText : `Cannot check your saved token: ${errorMessage(e)}` });
  }
}

/** Signs in with `token` once the daemon accepts it; throws (a HerdError, say) when it does not. */
export async function signIn(token: string): Promise<void> {
  const next = await check(token, stored(projectKey));
  store(tokenKey, token);
  if (next.project !== undefined) store(projectKey, next.project);
  set(next);
}

/** Forgets the token and shows the login page. */
export function signOut(): void {
  store(tokenKey, undefined);
  set({ kind: 'out' });
}

/** Called when the daemon refused `token` as unauthenticated: ends the session if it still uses it. */
export function tokenRejected(token: string): void {
  if (session.kind !== 'in' || session.token !== token) return;
  store(tokenKey, undefined);
  set({ kind: 'out', reason: rejectedText });
}

/** Acts in project `name` from now on (every view reads again). */
export function switchProject(name: string): void {
  if (session.kind !== 'in' || session.project === name) return;
  store(projectKey, name);
  set({ ...session, project: name });
}

/** Reads who the user is and their projects again (roles and projects change behind the page's back). */
export async function refreshSession(): Promise<void> {
  if (session.kind !== 'in') return;
  const { token, project } = session;
  try {
    const next = await check(token, project);
    // Signed out or in as someone else meanwhile: this answer is stale.
    if (session.kind !== 'in' || session.token !== token) return;
    if (next.project !== project && next.project !== undefined) store(projectKey, next.project);
    set(next);
  } catch (e) {
    if (rejected(e)) tokenRejected(token);
  }
}
