/**
 * One VM: its spec and observed status, its actions, its serial console in the browser, and
 * the events that concern it. Everything rereads when an event about this VM arrives.
 */
import { HerdError, formatSize, type HerdEvent } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../lib/client.js';
import { eventOperation } from '../lib/event-filters.js';
import { errorMessage } from '../lib/errors.js';
import { dateTime, timeAgo } from '../lib/format.js';
import { navigate } from '../lib/router.js';
import { useEventLog } from '../lib/use-event-log.js';
import { useLive } from '../lib/use-live.js';
import { ConsoleTerminal } from '../components/console-terminal.js';
import { EventList } from '../components/event-list.js';
import { Link } from '../components/link.js';
import { Notice } from '../components/notice.js';
import { StateBadge } from '../components/state-badge.js';
import { VmActionButtons } from '../components/vm-action-buttons.js';

function concerns(name: string): (e: HerdEvent) => boolean {
  return (e) => (e.target.type === 'vm' && e.target.name === name) || eventOperation(e)?.target.name === name;
}

/** The page of VM `name`. */
export function VmDetailPage({ name }: { readonly name: string }) {
  const about = concerns(name);
  const vm = useLive(() => client.call('getVm', { params: { id: name } }), about, name);
  const events = useEventLog(about, name);
  const [error, setError] = useState<string | undefined>(undefined);
  const gone = vm.error instanceof HerdError && vm.error.code === 'not_found';
  // A VM deleted behind the UI's back loses its actions and console at once.
  const v = gone ? undefined : vm.data;

  return (
    <div class="page">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/vms">Virtual machines</Link> <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <div class="page-head">
        <h1>
          {name} {v && <StateBadge state={v.state} id={`vm-${name}-state`} />}
        </h1>
        {v && <VmActionButtons vm={v} actions={['start', 'stop', 'restart', 'pause', 'resume', 'delete']} forceStop onError={setError} onDeleted={() => navigate('/vms')} />}
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
                <dt>Accelerator asked</dt>
                <dd>{v.spec.accel}</dd>
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
            <h2 id="console-title">Serial console</h2>
            <ConsoleTerminal vm={v.name} id={`vm-${name}-console`} />
          </section>
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
