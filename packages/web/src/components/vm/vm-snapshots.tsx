/**
 * The snapshots section of a VM: its tree, and a form to take one (with memory only while the
 * VM runs or is paused). Taking, reverting and deleting are operations; their progress shows
 * in `vm-${name}-snapshot-op`, and the tree is read again on the VM's events.
 */
import type { HerdEvent, Snapshot, Vm } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { useCan } from '../../lib/use-can.js';
import { useLive } from '../../lib/use-live.js';
import { isActive, useOperation } from '../../lib/use-operation.js';
import { Field, describedBy } from '../field.js';
import { Notice } from '../notice.js';
import { OperationStatus } from '../operation-status.js';
import { SnapshotTree } from './snapshot-tree.js';

/** Props of {@link VmSnapshots}. */
export interface VmSnapshotsProps {
  readonly vm: Vm;
  /** Events that concern this VM (snapshot events target the VM). */
  readonly relevant: (e: HerdEvent) => boolean;
}

/** Snapshots of `vm`. */
export function VmSnapshots({ vm, relevant }: VmSnapshotsProps) {
  const snapshots = useLive(() => client.call('listSnapshots', { params: { id: vm.id } }), relevant, vm.id);
  const [opId, setOpId] = useState<string | undefined>(undefined);
  const op = useOperation(opId).data;
  const [error, setError] = useState<string | undefined>(undefined);
  const [asking, setAsking] = useState(false);
  const can = useCan();
  // One snapshot operation at a time from here: the daemon would refuse the next while the VM is busy.
  const busy = asking || isActive(op);
  const act = async (start: () => Promise<{ readonly id: string }>) => {
    setError(undefined);
    setAsking(true);
    try {
      setOpId((await start()).id);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setAsking(false);
    }
  };
  const revert = (s: Snapshot) => void act(() => client.call('revertSnapshot', { params: { id: vm.id, snapshot: s.id }, body: {} }));
  const remove = (s: Snapshot) => void act(() => client.call('deleteSnapshot', { params: { id: vm.id, snapshot: s.id } }));

  return (
    <section class="card" aria-labelledby="snapshots-title">
      <h2 id="snapshots-title">
        Snapshots <span class="muted">{snapshots.data?.length ?? ''}</span>
      </h2>
      {snapshots.error && <Notice>{errorMessage(snapshots.error)}</Notice>}
      {error && (
        <Notice id={`vm-${vm.name}-snapshot-error`} onDismiss={() => setError(undefined)}>
          {error}
        </Notice>
      )}
      <div id={`vm-${vm.name}-snapshots`}>
        {snapshots.data?.length === 0 ? <p class="muted">No snapshots yet.</p> : <SnapshotTree vm={vm} snapshots={snapshots.data ?? []} onRevert={revert} onDelete={remove} busy={busy} readOnly={!can('revertSnapshot')} />}
      </div>
      {can('createSnapshot') && <SnapshotCreateForm vm={vm} busy={busy} onStarted={setOpId} />}
      <OperationStatus op={op} id={`vm-${vm.name}-snapshot-op`} />
    </section>
  );
}

function SnapshotCreateForm({ vm, busy: elsewhere, onStarted }: { readonly vm: Vm; readonly busy: boolean; readonly onStarted: (opId: string) => void }) {
  const p = `vm-${vm.name}-snapshot-`;
  const [name, setName] = useState('');
  const [withMemory, setWithMemory] = useState(false);
  const [description, setDescription] = useState('');
  const [asking, setBusy] = useState(false);
  const busy = asking || elsewhere;
  const f = useFormErrors(p, { name: 'name', withMemory: 'memory', description: 'description' }, { snapshot_unsupported: 'name', action_not_allowed: 'name' });
  // Only a running or paused VM has memory to save.
  const live = vm.state === 'running' || vm.state === 'paused';
  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    setBusy(true);
    try {
      const op = await client.call('createSnapshot', { params: { id: vm.id }, body: { name: name.trim(), ...(withMemory && live ? { withMemory: true } : {}), ...(description.trim() ? { description: description.trim() } : {}) } });
      setName('');
      setDescription('');
      onStarted(op.id);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  const error = (key: string) => f.errors[key] ?? (key === 'name' ? f.formError : undefined);
  return (
    <form class="form snapshot-form" id={`${p}form`} onSubmit={(e) => void submit(e)} noValidate aria-label={`Take a snapshot of ${vm.name}`}>
      <div class="row">
        <Field id={`${p}name`} label="New snapshot" error={error('name')}>
          <input id={`${p}name`} value={name} placeholder="name" onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" spellcheck={false} aria-invalid={error('name') ? true : undefined} aria-describedby={describedBy(`${p}name`, false, error('name'))} />
        </Field>
        <Field id={`${p}description`} label="Description" error={error('description')}>
          <input id={`${p}description`} value={description} placeholder="optional" onInput={(e) => setDescription(e.currentTarget.value)} aria-invalid={error('description') ? true : undefined} aria-describedby={describedBy(`${p}description`, false, error('description'))} />
        </Field>
      </div>
      <div class="field check">
        <input id={`${p}memory`} type="checkbox" checked={withMemory && live} disabled={!live} onChange={(e) => setWithMemory(e.currentTarget.checked)} aria-describedby={`${p}memory-hint`} />
        <label for={`${p}memory`}>With memory</label>
        <small class="hint" id={`${p}memory-hint`}>
          {live ? 'RAM and device state too: a revert resumes the VM where it was' : 'only while the VM runs or is paused'}
        </small>
      </div>
      {error('memory') && (
        <p class="field-error" id={`${p}memory-error`} role="alert">
          {error('memory')}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="primary" id={`${p}create`} disabled={busy}>
          Take snapshot
        </button>
      </div>
    </form>
  );
}
