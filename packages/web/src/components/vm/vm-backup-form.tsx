/**
 * Backing a VM up, running or stopped, into an archive on the daemon host: full, or only what
 * changed since the last backup. Progress shows in `vm-${name}-backup-op`, then where the
 * archive was written.
 */
import { formatSize, type Backup, type Operation, type Vm } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { isActive, useOperation } from '../../lib/use-operation.js';
import { Field, describedBy } from '../field.js';
import { Notice } from '../notice.js';
import { OperationStatus } from '../operation-status.js';

function written(op: Operation) {
  // The result is the operation's free-form record: use what it has, checked.
  const b = op.result?.backup as Partial<Backup> | undefined;
  const note = op.result?.note;
  if (typeof b?.path !== 'string') return 'Backed up.';
  return (
    <>
      {b.kind === 'incremental' ? 'Incremental' : 'Full'} backup ({formatSize(b.sizeBytes ?? 0)}) written to <code>{b.path}</code>
      {typeof note === 'string' && <span class="muted"> ({note})</span>}
    </>
  );
}

/** The backup form of `vm`; `onClose` hides it. */
export function VmBackupForm({ vm, onClose }: { readonly vm: Vm; readonly onClose: () => void }) {
  const p = `vm-${vm.name}-backup-`;
  const [to, setTo] = useState('');
  const [incremental, setIncremental] = useState(false);
  const [asking, setBusy] = useState(false);
  const [opId, setOpId] = useState<string | undefined>(undefined);
  const op = useOperation(opId).data;
  const busy = asking || isActive(op);
  const f = useFormErrors(p, { to: 'to', incremental: 'incremental' }, { backup_invalid: 'to' });
  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    setBusy(true);
    try {
      const op = await client.call('createBackup', { params: { id: vm.id }, body: { ...(to.trim() ? { to: to.trim() } : {}), ...(incremental ? { incremental } : {}) } });
      setOpId(op.id);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" id={`${p}form`} onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${p}title`}>
      <h2 id={`${p}title`}>Back up {vm.name}</h2>
      {f.formError && <Notice id={`${p}error`}>{f.formError}</Notice>}
      <Field id={`${p}to`} label="Directory" hint="An absolute directory on the daemon host; empty: the data directory's backups/." error={f.errors.to}>
        <input id={`${p}to`} value={to} placeholder="default" onInput={(e) => setTo(e.currentTarget.value)} autoComplete="off" spellcheck={false} autoFocus aria-invalid={f.errors.to ? true : undefined} aria-describedby={describedBy(`${p}to`, true, f.errors.to)} />
      </Field>
      <div class="field check">
        <input id={`${p}incremental`} type="checkbox" checked={incremental} onChange={(e) => setIncremental(e.currentTarget.checked)} aria-describedby={`${p}incremental-hint`} />
        <label for={`${p}incremental`}>Incremental</label>
        <small class="hint" id={`${p}incremental-hint`}>
          only what changed since the last backup (a full one is taken when there is none to build on)
        </small>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" id={`${p}submit`} disabled={busy}>
          Back up
        </button>
        <button type="button" id={`${p}close`} onClick={onClose}>
          Close
        </button>
      </div>
      <OperationStatus op={op} id={`${p}op`} done={written} />
    </form>
  );
}
