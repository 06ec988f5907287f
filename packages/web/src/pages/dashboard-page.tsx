/**
 * The dashboard: what this host offers and how much of it VMs ask for, VM counts by state,
 * operations in progress, and the latest events. Every panel rereads when events say so.
 */
import { formatSize, vmStates, type Operation } from '@herd/api';
import { client } from '../lib/client.js';
import { useCan } from '../lib/use-can.js';
import { isOperationEvent, isVmEvent } from '../lib/event-filters.js';
import { errorMessage } from '../lib/errors.js';
import { useLive } from '../lib/use-live.js';
import { EventList } from '../components/event-list.js';
import { Link } from '../components/link.js';
import { Meter } from '../components/meter.js';
import { Notice } from '../components/notice.js';
import { OperationTable } from '../components/operation-row.js';

const always = () => true;

async function activeOperations(): Promise<Operation[]> {
  const [running, pending] = await Promise.all([
    client.call('listOperations', { query: { status: 'running', limit: 50 } }),
    client.call('listOperations', { query: { status: 'pending', limit: 50 } }),
  ]);
  return [...running, ...pending];
}

/** The dashboard page. */
export function DashboardPage() {
  const host = useLive(() => client.call('getHost', { params: { id: 'local' } }), isVmEvent);
  const vms = useLive(() => client.call('listVms'), isVmEvent);
  const ops = useLive(activeOperations, isOperationEvent);
  const can = useCan();
  const events = useLive(() => client.call('listEvents', { query: { limit: 12 } }), always);

  const running = (vms.data ?? []).filter((v) => v.state === 'running' || v.state === 'paused' || v.state === 'starting');
  const vcpus = running.reduce((n, v) => n + v.spec.cpus, 0);
  const memory = running.reduce((n, v) => n + v.spec.memoryMiB * 1024 * 1024, 0);
  const counts = new Map(vmStates.map((s) => [s, 0]));
  for (const v of vms.data ?? []) counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
  const h = host.data;

  return (
    <div class="page">
      <h1>Dashboard</h1>
      {host.error && <Notice>{errorMessage(host.error)}</Notice>}
      <div class="grid">
        <section class="card" aria-labelledby="host-title" id="host-card">
          <h2 id="host-title">Host {h ? <span class="muted">{h.name}</span> : null}</h2>
          {h ? (
            <>
              <Meter id="host-cpu" label="vCPUs of running VMs" used={vcpus} total={h.cpus} usedText={`${vcpus}`} totalText={`${h.cpus} CPUs`} />
              <Meter id="host-memory" label="Memory of running VMs" used={memory} total={h.memoryBytes} usedText={formatSize(memory)} totalText={formatSize(h.memoryBytes)} />
              <dl class="facts">
                <dt>Accelerator</dt>
                <dd id="host-accel">
                  <span class={`badge accel-${h.accel}`}>{h.accel.toUpperCase()}</span> <span class="muted">({h.accelPreference})</span>
                  <div class="reason" id="host-accel-reason">
                    {h.accelReason}
                  </div>
                </dd>
                <dt>QEMU</dt>
                <dd>{h.qemuVersion}</dd>
                <dt>Kernel</dt>
                <dd>{h.kernel}</dd>
                <dt>herd</dt>
                <dd>{h.herdVersion}</dd>
              </dl>
            </>
          ) : (
            <p class="muted">Loading…</p>
          )}
        </section>
        <section class="card" aria-labelledby="counts-title" id="vm-counts">
          <h2 id="counts-title">
            <Link href="/vms">Virtual machines</Link> <span class="muted">{vms.data?.length ?? ''}</span>
          </h2>
          <ul class="counts">
            {vmStates.map((s) => (
              <li key={s} id={`count-${s}`} class={counts.get(s) ? '' : 'zero'}>
                <span class={`badge state-${s}`}>{s}</span>
                <strong>{counts.get(s)}</strong>
              </li>
            ))}
          </ul>
          {can('createVm') && (
            <p>
              <Link href="/create" class="button primary" id="dashboard-create">
                Create VM
              </Link>
            </p>
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="ops-title">
        <h2 id="ops-title">
          Operations in progress <Link href="/operations" class="small">all operations</Link>
        </h2>
        {ops.data && ops.data.length > 0 ? <OperationTable ops={ops.data} id="active-operations" /> : <p class="muted" id="active-operations">Nothing in progress.</p>}
      </section>
      <section class="card" aria-labelledby="events-title">
        <h2 id="events-title">Recent events</h2>
        <EventList id="recent-events" events={[...(events.data ?? [])].reverse()} />
      </section>
    </div>
  );
}
