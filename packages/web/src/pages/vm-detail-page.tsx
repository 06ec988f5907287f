/**
 * One VM: its spec and observed status, its actions (with clone and backup), its consoles in
 * the browser (serial, and graphical for a VNC display), its metrics, its disks, NICs and snapshots,
 * and its events. Everything rereads when an event about this VM (or one of its disks) arrives.
 */
import { HerdError, formatSize, type HerdEvent } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../lib/client.js';
import { eventOperation, isDiskChange } from '../lib/event-filters.js';
import { errorMessage } from '../lib/errors.js';
import { dateTime, timeAgo } from '../lib/format.js';
import { navigate } from '../lib/router.js';
import { useCan } from '../lib/use-can.js';
import { useVmEvents } from '../lib/use-vm-events.js';
import { useLive } from '../lib/use-live.js';
import { ConsoleTerminal } from '../components/console-terminal.js';
import { EventList } from '../components/event-list.js';
import { Link } from '../components/link.js';
import { Notice } from '../components/notice.js';
import { StateBadge } from '../components/state-badge.js';
import { VmActionButtons } from '../components/vm-action-buttons.js';
import { lazy } from '../components/lazy.js';

// Disks, snapshots, clone and backup are a chunk of their own: the VM list does not load them.
const panels = () => import('../components/vm/vm-storage-panels.js');
const VmBackupForm = lazy(() => panels().then((m) => m.VmBackupForm));
const VmCloneForm = lazy(() => panels().then((m) => m.VmCloneForm));
const VmDisks = lazy(() => panels().then((m) => m.VmDisks));
const VmSnapshots = lazy(() => panels().then((m) => m.VmSnapshots));
// Charts, and the graphical console with noVNC inside it, are chunks of their own too.
const livePanels = () => import('../components/vm/vm-live-panels.js');
const VmMetrics = lazy(() => livePanels().then((m) => m.VmMetrics));
const VncConsole = lazy(() => livePanels().then((m) => m.VncConsole));
// NICs are a chunk of their own: only this page shows them.
const VmNics = lazy(() => import('../components/vm/vm-nics.js').then((m) => m.VmNics));

type ConsoleTab = 'serial' | 'graphical';

function concerns(name: string): (e: HerdEvent) => boolean {
  return (e) => (e.target.type === 'vm' && e.target.name === name) || eventOperation(e)?.target.name === name;
}

/** The page of VM `name`. */
export function VmDetailPage({ name }: { readonly name: string }) {
  const about = concerns(name);
  // Disk events name the volume, not the VM; any of them may change this VM's disks.
  const vm = useLive(() => client.call('getVm', { params: { id: name } }), (e) => about(e) || isDiskChange(e), name);
  const [error, setError] = useState<string | undefined>(undefined);
  const [panel, setPanel] = useState<'clone' | 'backup' | undefined>(undefined);
  const [tab, setTab] = useState<ConsoleTab | undefined>(undefined);
  const can = useCan();
  const toggle = (which: 'clone' | 'backup') => setPanel(panel === which ? undefined : which);
  const gone = vm.error instanceof HerdError && vm.error.code === 'not_found';
  // A VM deleted behind the UI's back loses its actions and console at once.
  const v = gone ? undefined : vm.data;
  const events = useVmEvents(v?.id);
  // A VM with a display opens on its screen, until the user picks a tab.
  const shownTab: ConsoleTab = tab ?? (v?.spec.display === 'vnc' ? 'graphical' : 'serial');

  return (
    <div class="page">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/vms">Virtual machines</Link> <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <div class="page-head">
        <h1>
          {name} {v && <StateBadge state={v.state} id={`vm-${name}-state`} />}
        </h1>
        {v && (
          <div class="actions">
            <VmActionButtons vm={v} actions={['start', 'stop', 'restart', 'pause', 'resume', 'delete']} forceStop onError={setError} onDeleted={() => navigate('/vms')} />
            <span class="actions" role="group" aria-label={`Copies of ${name}`}>
              {can('cloneVm') && (
                <button type="button" id={`vm-${name}-clone`} aria-expanded={panel === 'clone'} onClick={() => toggle('clone')}>
                  Clone…
                </button>
              )}
              {can('createBackup') && (
                <button type="button" id={`vm-${name}-backup`} aria-expanded={panel === 'backup'} onClick={() => toggle('backup')}>
                  Back up…
                </button>
              )}
            </span>
          </div>
        )}
      </div>
      {gone && (
        <Notice id="vm-gone">
          VM '{name}' does not exist (it may have been deleted). <Link href="/vms">Back to the list</Link>.
        </Notice>
      )}
      {vm.error && !gone && <Notice>{errorMessage(vm.error)}</Notice>}
      {error && (
        <Notice id="vm-action-error" onDismiss={() => setError(undefined)}>
          {error}
        </Notice>
      )}
      {v && (
        <>
          {panel === 'clone' && <VmCloneForm vm={v} onClose={() => setPanel(undefined)} />}
          {panel === 'backup' && <VmBackupForm vm={v} onClose={() => setPanel(undefined)} />}
          <div class="grid">
            <section class="card" aria-labelledby="status-title">
              <h2 id="status-title">Status</h2>
              <dl class="facts" id={`vm-${name}-status`}>
                <dt>State</dt>
                <dd>
                  {v.state} <span class="muted">(wants {v.desiredState}, since {timeAgo(v.status.stateChangedAt)})</span>
                </dd>
                <dt>Reason</dt>
                <dd id={`vm-${name}-reason`}>{v.status.reason ?? '—'}</dd>
                <dt>Last error</dt>
                <dd id={`vm-${name}-last-error`} class={v.status.lastError ? 'error-text' : ''}>
                  {v.status.lastError ?? '—'}
                </dd>
                <dt>Accelerator</dt>
                <dd id={`vm-${name}-accel`}>{v.accel ?? '—'}</dd>
                <dt>PID</dt>
                <dd id={`vm-${name}-pid`}>{v.pid ?? '—'}</dd>
                <dt>Host</dt>
                <dd>{v.host}</dd>
                <dt>Addresses</dt>
                <dd id={`vm-${name}-addresses`} class="mono">
                  {v.status.addresses?.length ? v.status.addresses.join(', ') : '—'}
                </dd>
                <dt>Started</dt>
                <dd>{dateTime(v.status.startedAt)}</dd>
              </dl>
            </section>
            <section class="card" aria-labelledby="spec-title">
              <h2 id="spec-title">Spec</h2>
              <dl class="facts" id={`vm-${name}-spec`}>
                <dt>CPUs</dt>
                <dd>{v.spec.cpus}</dd>
                <dt>Memory</dt>
                <dd>{formatSize(v.spec.memoryMiB * 1024 * 1024)}</dd>
                <dt>Root disk</dt>
                <dd>{formatSize(v.spec.diskBytes)}</dd>
                <dt>Image</dt>
                <dd>{v.spec.image}</dd>
                {v.spec.cdrom && (
                  <>
                    <dt>CD-ROM</dt>
                    <dd>{v.spec.cdrom}</dd>
                  </>
                )}
                <dt>Accelerator asked</dt>
                <dd>{v.spec.accel}</dd>
                <dt>Display</dt>
                <dd id={`vm-${name}-display`}>{v.spec.display === 'vnc' ? 'VNC (graphical console)' : 'none (serial console only)'}</dd>
                <dt>Kernel command line</dt>
                <dd class="mono">{v.spec.kernelCmdline ?? '—'}</dd>
                <dt>ID</dt>
                <dd class="mono">{v.id}</dd>
                <dt>Created</dt>
                <dd>{dateTime(v.createdAt)}</dd>
              </dl>
            </section>
          </div>
          <section class="card" aria-labelledby="console-title">
            <div class="tabs-head">
              <h2 id="console-title">Console</h2>
              <ConsoleTabs name={name} shown={shownTab} onPick={setTab} />
            </div>
            <div role="tabpanel" id={`vm-${name}-console-panel`} aria-labelledby={`vm-${name}-tab-${shownTab}`}>
              {!can('createConsoleTicket') ? (
                <p class="muted" id={`vm-${name}-console-denied`}>
                  Your role in this project lets you see the VM, not use its consoles (that takes operator or admin).
                </p>
              ) : shownTab === 'serial' ? (
                <ConsoleTerminal vm={v.name} id={`vm-${name}-console`} />
              ) : (
                <VncConsole vm={v} id={`vm-${name}-vnc`} />
              )}
            </div>
          </section>
          {/* After the console, so that it stays in view at the top (xterm draws only while visible). */}
          <VmMetrics vm={v} />
          <VmDisks vm={v} />
          <VmNics vm={v} />
          <VmSnapshots vm={v} relevant={about} />
        </>
      )}
      {!gone && (
        <section class="card" aria-labelledby="vm-events-title">
          <h2 id="vm-events-title">Events</h2>
          <EventList id={`vm-${name}-events`} events={events} empty="No events for this VM yet." />
        </section>
      )}
    </div>
  );
}

const tabs: readonly { readonly key: ConsoleTab; readonly label: string }[] = [
  { key: 'serial', label: 'Serial console' },
  { key: 'graphical', label: 'Graphical console' },
];

/** The console tabs of VM `name` (arrow keys move between them, as in any tab list). */
function ConsoleTabs({ name, shown, onPick }: { readonly name: string; readonly shown: ConsoleTab; readonly onPick: (t: ConsoleTab) => void }) {
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const next = tabs[(tabs.findIndex((t) => t.key === shown) + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]!;
    onPick(next.key);
    document.getElementById(`vm-${name}-tab-${next.key}`)?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label="Console" onKeyDown={onKey}>
      {tabs.map((t) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          id={`vm-${name}-tab-${t.key}`}
          aria-selected={shown === t.key}
          aria-controls={`vm-${name}-console-panel`}
          tabIndex={shown === t.key ? 0 : -1}
          onClick={() => onPick(t.key)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
