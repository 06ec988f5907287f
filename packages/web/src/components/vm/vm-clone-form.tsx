/**
 * Cloning a VM: a linked clone (copy-on-write overlays, instant) or a full one (independent
 * copies, optionally into another pool). The clone gets a new uuid; its progress shows in
 * `vm-${name}-clone-op`, with a link to it when done.
 */
import type { Operation, Vm, VmClone } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { isStorageEvent } from '../../lib/event-filters.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { isActive, useOperation } from '../../lib/use-operation.js';
import { useLive } from '../../lib/use-live.js';
import { Field, describedBy } from '../field.js';
import { Link } from '../link.js';
import { Notice } from '../notice.js';
import { OperationStatus } from '../operation-status.js';

function cloneLink(op: Operation) {
  const made = op.result?.vm as { readonly name?: unknown } | undefined;
  return typeof made?.name === 'string' ? (
    <>
      Cloned: <Link href={`/vms/${made.name}`}>{made.name}</Link>
    </>
  ) : (
    'Cloned.'
  );
}

/** The clone form of `vm`; `onClose` hides it. */
export function VmCloneForm({ vm, onClose }: { readonly vm: Vm; readonly onClose: () => void }) {
  const p = `vm-${vm.name}-clone-`;
  const pools = useLive(async () => (await client.call('listPools')).map((x) => x.name).sort(), isStorageEvent);
  const [name, setName] = useState(`${vm.name}-clone`.slice(0, 63));
  const [mode, setMode] = useState<NonNullable<VmClone['mode']>>('linked');
  const [pool, setPool] = useState('');
  const [start, setStart] = useState(false);
  const [asking, setBusy] = useState(false);
  const [opId, setOpId] = useState<string | undefined>(undefined);
  const op = useOperation(opId).data;
  const busy = asking || isActive(op);
  const f = useFormErrors(p, { name: 'name', mode: 'mode', pool: 'pool' }, { insufficient_space: 'pool', pool_unusable: 'pool' });
  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    const body: VmClone = { name: name.trim(), mode, ...(mode === 'full' && pool ? { pool } : {}), ...(start ? { start } : {}) };
    setBusy(true);
    try {
      setOpId((await client.call('cloneVm', { params: { id: vm.id }, body })).id);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  const aria = (key: string, hint = false) => ({ 'aria-invalid': f.errors[key] ? true : undefined, 'aria-describedby': describedBy(`${p}${key}`, hint, f.errors[key]) });
  return (
    <form class="card form" id={`${p}form`} onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${p}title`}>
      <h2 id={`${p}title`}>Clone {vm.name}</h2>
      {f.formError && <Notice id={`${p}error`}>{f.formError}</Notice>}
      <div class="row">
        <Field id={`${p}name`} label="Name of the clone" error={f.errors.name}>
          <input id={`${p}name`} value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" spellcheck={false} autoFocus {...aria('name')} />
        </Field>
        <Field id={`${p}mode`} label="Kind" hint={mode === 'linked' ? 'Copy-on-write on the same disks: instant, small.' : 'Independent copies of every disk.'} error={f.errors.mode}>
          <select id={`${p}mode`} value={mode} onChange={(e) => setMode(e.currentTarget.value as 'linked' | 'full')} {...aria('mode', true)}>
            <option value="linked">linked</option>
            <option value="full">full</option>
          </select>
        </Field>
        <Field id={`${p}pool`} label="Pool for the copies" hint={mode === 'full' ? undefined : 'Full clones only.'} error={f.errors.pool}>
          <select id={`${p}pool`} value={pool} disabled={mode !== 'full'} onChange={(e) => setPool(e.currentTarget.value)} {...aria('pool', mode !== 'full')}>
            <option value="">same as the source</option>
            {(pools.data ?? []).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div class="field check">
        <input id={`${p}start`} type="checkbox" checked={start} onChange={(e) => setStart(e.currentTarget.checked)} />
        <label for={`${p}start`}>Start the clone once made</label>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" id={`${p}submit`} disabled={busy}>
          Clone
        </button>
        <button type="button" id={`${p}close`} onClick={onClose}>
          Close
        </button>
      </div>
      <OperationStatus op={op} id={`${p}op`} done={cloneLink} />
    </form>
  );
}
