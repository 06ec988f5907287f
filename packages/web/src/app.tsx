/**
 * The app: until someone is signed in, the login page; then the page for the current path in
 * the shell. Signed out (or the token refused), any path goes to /login?next=PATH, and signing
 * in returns there. Another project remounts the page, so every view reads its data again.
 */
import { Fragment } from 'preact';
import { useEffect } from 'preact/hooks';
import { AppShell } from './components/app-shell.js';
import { lazy } from './components/lazy.js';
import { navigate, usePath } from './lib/router.js';
import { resumeSession, useSession, type SignedIn } from './lib/session.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { ImagesPage } from './pages/images-page.js';
import { LoginPage } from './pages/login-page.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { OperationsPage } from './pages/operations-page.js';
import { VmCreatePage } from './pages/vm-create-page.js';
import { VmDetailPage } from './pages/vm-detail-page.js';
import { VmListPage } from './pages/vm-list-page.js';

// Fetched on first visit: the other pages do not carry their code.
const StoragePage = lazy(() => import('./pages/storage-page.js').then((m) => m.StoragePage));
const NetworksPage = lazy(() => import('./pages/networks-page.js').then((m) => m.NetworksPage));
const ProjectsPage = lazy(() => import('./pages/projects-page.js').then((m) => m.ProjectsPage));

const loginPath = '/login';

function page(path: string, session: SignedIn): { title: string; node: preact.JSX.Element } {
  if (path === '/') return { title: 'Dashboard', node: <DashboardPage /> };
  if (path === '/vms') return { title: 'Virtual machines', node: <VmListPage /> };
  if (path === '/create') return { title: 'Create VM', node: <VmCreatePage /> };
  const vm = /^\/vms\/([^/]+)$/.exec(path);
  if (vm) {
    const name = decodeURIComponent(vm[1]!);
    return { title: name, node: <VmDetailPage key={name} name={name} /> };
  }
  if (path === '/images') return { title: 'Images', node: <ImagesPage /> };
  if (path === '/storage') return { title: 'Storage', node: <StoragePage /> };
  if (path === '/networks') return { title: 'Networks', node: <NetworksPage /> };
  if (path === '/operations') return { title: 'Operations', node: <OperationsPage /> };
  if (path === '/projects') return { title: 'Projects', node: <ProjectsPage session={session} /> };
  return { title: 'Not found', node: <NotFoundPage path={path} /> };
}

/** Where to go after signing in: the `next` of the login URL when it is a path of this app. */
function afterLogin(): string {
  const next = new URLSearchParams(window.location.search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith(loginPath) ? next : '/';
}

/** The root component. */
export function App() {
  const path = usePath();
  const session = useSession();
  useEffect(() => void resumeSession(), []);
  useEffect(() => {
    if (session.kind === 'out' && path !== loginPath) navigate(`${loginPath}?next=${encodeURIComponent(path + window.location.search)}`, true);
    if (session.kind === 'in' && path === loginPath) navigate(afterLogin(), true);
  }, [session.kind, path]);
  const signedIn = session.kind === 'in' && path !== loginPath ? session : undefined;
  const shown = signedIn ? page(path, signedIn) : undefined;
  const title = shown?.title ?? 'Sign in';
  useEffect(() => {
    document.title = `${title} · herd`;
  }, [title]);
  if (session.kind === 'checking') return <p class="empty">Checking your session…</p>;
  if (session.kind === 'out') return <LoginPage reason={session.reason} />;
  if (!signedIn || !shown) return null;
  return (
    <AppShell path={path} session={signedIn}>
      <Fragment key={signedIn.project ?? ''}>{shown.node}</Fragment>
    </AppShell>
  );
}
