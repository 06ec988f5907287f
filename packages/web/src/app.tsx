/** The app: picks the page for the current path and puts it in the shell. */
import { useEffect } from 'preact/hooks';
import { AppShell } from './components/app-shell.js';
import { lazy } from './components/lazy.js';
import { usePath } from './lib/router.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { ImagesPage } from './pages/images-page.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { OperationsPage } from './pages/operations-page.js';
import { VmCreatePage } from './pages/vm-create-page.js';
import { VmDetailPage } from './pages/vm-detail-page.js';
import { VmListPage } from './pages/vm-list-page.js';

// Fetched on first visit: the other pages do not carry their code.
const StoragePage = lazy(() => import('./pages/storage-page.js').then((m) => m.StoragePage));
const NetworksPage = lazy(() => import('./pages/networks-page.js').then((m) => m.NetworksPage));

function page(path: string): { title: string; node: preact.JSX.Element } {
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
  return { title: 'Not found', node: <NotFoundPage path={path} /> };
}

/** The root component. */
export function App() {
  const path = usePath();
  const { title, node } = page(path);
  useEffect(() => {
    document.title = `${title} · herd`;
  }, [title]);
  return <AppShell path={path}>{node}</AppShell>;
}
