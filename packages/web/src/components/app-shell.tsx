/** The frame around every page: a skip link, the header with navigation, and the live-stream light. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { subscribeStreamStatus, type StreamStatus } from '../lib/event-stream.js';
import { Link } from './link.js';

const sections = [
  { href: '/', label: 'Dashboard', match: (p: string) => p === '/' },
  { href: '/vms', label: 'Virtual machines', match: (p: string) => p === '/vms' || p.startsWith('/vms/') },
  { href: '/create', label: 'Create VM', match: (p: string) => p === '/create' },
  { href: '/images', label: 'Images', match: (p: string) => p.startsWith('/images') },
  { href: '/storage', label: 'Storage', match: (p: string) => p.startsWith('/storage') },
  { href: '/networks', label: 'Networks', match: (p: string) => p.startsWith('/networks') },
  { href: '/operations', label: 'Operations', match: (p: string) => p.startsWith('/operations') },
] as const;

/** Wraps a page; `path` marks the current section. */
export function AppShell({ path, children }: { readonly path: string; readonly children: ComponentChildren }) {
  const [stream, setStream] = useState<StreamStatus>('live');
  useEffect(() => subscribeStreamStatus(setStream), []);
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
            {sections.map((s) => (
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
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
