/**
 * The frame around every page: a skip link, the header with navigation, the live-stream light,
 * the project switcher, and who is signed in (with their role in the project) and signing out.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeRole, mayCall } from '../lib/access.js';
import { subscribeStreamStatus, type StreamStatus } from '../lib/event-stream.js';
import { navigate } from '../lib/router.js';
import { refreshSession, signOut, switchProject, type SignedIn } from '../lib/session.js';
import { Link } from './link.js';

const sections = [
  { href: '/', label: 'Dashboard', match: (p: string) => p === '/' },
  { href: '/vms', label: 'Virtual machines', match: (p: string) => p === '/vms' || p.startsWith('/vms/') },
  { href: '/create', label: 'Create VM', match: (p: string) => p === '/create', route: 'createVm' },
  { href: '/images', label: 'Images', match: (p: string) => p.startsWith('/images') },
  { href: '/storage', label: 'Storage', match: (p: string) => p.startsWith('/storage') },
  { href: '/networks', label: 'Networks', match: (p: string) => p.startsWith('/networks') },
  { href: '/operations', label: 'Operations', match: (p: string) => p.startsWith('/operations') },
  { href: '/projects', label: 'Projects', match: (p: string) => p.startsWith('/projects') },
] as const;

/** Wraps a page; `path` marks the current section, `session` is who is signed in. */
export function AppShell({ path, session, children }: { readonly path: string; readonly session: SignedIn; readonly children: ComponentChildren }) {
  const [stream, setStream] = useState<StreamStatus>('live');
  useEffect(() => subscribeStreamStatus(setStream), []);
  // Roles and projects change behind the page's back, and no event says so: read them again on every move.
  useEffect(() => void refreshSession(), [path]);
  const pick = (name: string) => {
    switchProject(name);
    // A VM's page belongs to the project it was in.
    if (path.startsWith('/vms/')) navigate('/vms');
  };
  const shown = sections.filter((s) => !('route' in s) || mayCall(session.who, session.project, s.route));
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/" class="brand" aria-label="herd dashboard">
          <span class="brand-mark" aria-hidden="true">h</span> herd
        </Link>
        <nav aria-label="Main">
          <ul>
            {shown.map((s) => (
              <li key={s.href}>
                <Link href={s.href} id={`nav-${s.href === '/' ? 'dashboard' : s.href.slice(1)}`} aria-current={s.match(path) ? 'page' : undefined}>
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`stream stream-${stream}`} id="event-stream-status" title="The UI follows the daemon's event stream">
          <span class={`dot dot-${stream === 'live' ? 'connected' : 'disconnected'}`} aria-hidden="true" />
          {stream === 'live' ? 'live' : 'reconnecting…'}
        </span>
        <div class="who" role="group" aria-label="Session">
          <label class="inline">
            <span class="sr-only">Project</span>
            <select id="project-select" value={session.project ?? ''} onChange={(e) => pick(e.currentTarget.value)} title="The project every page acts in">
              {session.project === undefined && <option value="">no project</option>}
              {session.projects.map((p) => (
                <option key={p.id} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <span class="who-user" id="session-user" title={`signed in ${session.who.via === 'token' ? 'with a token' : 'as root on the local socket'}`}>
            {session.who.user}{' '}
            <span class="muted" id="session-role">
              {describeRole(session.who, session.project)}
            </span>
          </span>
          <button type="button" id="logout" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
