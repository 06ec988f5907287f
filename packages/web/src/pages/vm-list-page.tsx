/**
 * The VM list: every VM with its live state (reread when events say a VM changed, never
 * polled), search and state filter, selection with bulk start/stop, and per-row actions that
 * are enabled only where the shared predicates allow. Rows are virtualized.
 */
import { isActionAllowed, vmStates, type Vm, type VmAction, type VmState } from '@herd/api';
import { useCallback, useMemo, useRef, useState } from 'preact/hooks';
import { client } from '../lib/client.js';
import { isVmEvent } from '../lib/event-filters.js';
import { errorMessage } from '../lib/errors.js';
import { runBulk } from '../lib/run-bulk.js';
import { useCan } from '../lib/use-can.js';
import { useLive } from '../lib/use-live.js';
import { Link } from '../components/link.js';
import { Notice } from '../components/notice.js';
import { VirtualList } from '../components/virtual-list.js';
import { VmRow } from '../components/vm-row.js';

const rowHeight = 44;

function matches(vm: Vm, text: string, state: VmState | ''): boolean {
  if (state && vm.state !== state) return false;
  if (!text) return true;
  const t = text.toLowerCase();
  return vm.name.includes(t) || vm.spec.image.toLowerCase().includes(t) || vm.id.startsWith(t);
}

/** The VM list page. */
export function VmListPage() {
  const vms = useLive(() => client.call('listVms'), isVmEvent);
  const can = useCan();
  const [text, setText] = useState('');
  const [state, setState] = useState<VmState | ''>('');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string } | undefined>(undefined);
  const [bulkBusy, setBulkBusy] = useState(false);

  // Keep the previous object of every VM that did not change, so its row is not re-rendered.
  const known = useRef<ReadonlyMap<string, { readonly vm: Vm; readonly json: string }>>(new Map());
  const all = useMemo(() => {
    const next = new Map<string, { vm: Vm; json: string }>();
    for (const vm of vms.data ?? []) {
      const json = JSON.stringify(vm);
      const old = known.current.get(vm.id);
      next.set(vm.id, old && old.json === json ? old : { vm, json });
    }
    known.current = next;
    return [...next.values()].map((e) => e.vm).sort((a, b) => a.name.localeCompare(b.name));
  }, [vms.data]);
  const shown = useMemo(() => all.filter((v) => matches(v, text.trim(), state)), [all, text, state]);
  const chosen = shown.filter((v) => selected.has(v.id));
  const allChosen = shown.length > 0 && chosen.length === shown.length;

  const toggle = useCallback((id: string) => {
    setSelected((now) => {
      const next = new Set(now);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  const showError = useCallback((text: string) => setMessage({ kind: 'error', text }), []);
  const toggleAll = () => setSelected(allChosen ? new Set() : new Set(shown.map((v) => v.id)));
  const bulk = async (action: VmAction) => {
    setBulkBusy(true);
    setMessage(undefined);
    try {
      const r = await runBulk(chosen, action);
      const parts = [`${action} requested for ${r.requested} VM${r.requested === 1 ? '' : 's'}`];
      if (r.skipped) parts.push(`${r.skipped} skipped (not allowed in their state)`);
      if (r.failures.length) parts.push(`${r.failures.length} refused: ${r.failures.slice(0, 3).join('; ')}`);
      setMessage({ kind: r.failures.length ? 'error' : 'info', text: parts.join('; ') });
    } finally {
      setBulkBusy(false);
    }
  };
  const canBulk = (action: VmAction) => !bulkBusy && chosen.some((v) => isActionAllowed(v.state, action));

  return (
    <div class="page page-wide">
      <div class="page-head">
        <h1>
          Virtual machines <span class="muted" id="vm-count">{vms.data ? `${shown.length} of ${all.length}` : ''}</span>
        </h1>
        {can('createVm') && (
          <Link href="/create" class="button primary" id="vm-list-create">
            Create VM
          </Link>
        )}
      </div>
      <div class="toolbar" role="search">
        <label class="inline">
          <span class="sr-only">Search VMs</span>
          <input type="search" id="vm-search" placeholder="Search by name or image" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <label class="inline">
          <span>State</span>
          <select id="vm-state-filter" value={state} onChange={(e) => setState(e.currentTarget.value as VmState | '')}>
            <option value="">any</option>
            {vmStates.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <span class="spacer" />
        <span class="muted" id="vm-selected-count" aria-live="polite">
          {chosen.length} selected
        </span>
        {can('startVm') && (
          <button type="button" id="vm-bulk-start" disabled={!canBulk('start')} onClick={() => void bulk('start')}>
            Start selected
          </button>
        )}
        {can('stopVm') && (
          <button type="button" id="vm-bulk-stop" disabled={!canBulk('stop')} onClick={() => void bulk('stop')}>
            Stop selected
          </button>
        )}
      </div>
      {vms.error && <Notice>{errorMessage(vms.error)}</Notice>}
      {message && (
        <Notice kind={message.kind} id="vm-list-message" onDismiss={() => setMessage(undefined)}>
          {message.text}
        </Notice>
      )}
      <div class="vm-table" role="table" aria-label="Virtual machines" aria-rowcount={shown.length + 1}>
        <div class="vrow vhead" role="row" aria-rowindex={1}>
          <span role="columnheader" class="c-select">
            <input type="checkbox" id="vm-select-all" aria-label="Select all shown VMs" checked={allChosen} onChange={toggleAll} />
          </span>
          <span role="columnheader" class="c-name">Name</span>
          <span role="columnheader" class="c-state">State</span>
          <span role="columnheader" class="c-num">CPUs</span>
          <span role="columnheader" class="c-num">Memory</span>
          <span role="columnheader" class="c-image">Image</span>
          <span role="columnheader" class="c-accel">Accel</span>
          <span role="columnheader" class="c-actions">Actions</span>
        </div>
        {vms.data && shown.length === 0 ? (
          <p class="empty" id="vm-list-empty">
            {all.length === 0 ? (
              <>
                No VMs yet.{can('createVm') && <> <Link href="/create">Create one</Link>.</>}
              </>
            ) : (
              'No VM matches the search.'
            )}
          </p>
        ) : (
          <VirtualList
            id="vm-list"
            label="VM rows"
            items={shown}
            rowHeight={rowHeight}
            itemKey={(v) => v.id}
            renderRow={(vm) => <VmRow vm={vm} selected={selected.has(vm.id)} onToggle={toggle} onError={showError} />}
          />
        )}
      </div>
    </div>
  );
}
