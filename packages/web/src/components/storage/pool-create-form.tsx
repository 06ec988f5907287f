/**
 * Creating a pool: a directory (local, or a mounted shared filesystem such as NFS) or an LVM
 * thin pool. What was typed goes to the API as is; its messages appear next to the field.
 */
import { poolTypes, type PoolCreate } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { Field, describedBy } from '../field.js';
import { Notice } from '../notice.js';

const p = 'pool-create-';
const fields = { name: 'name', type: 'type', path: 'path', shared: 'shared', volumeGroup: 'vg', thinPool: 'thin' } as const;

/** The create-pool form; `onClose` is called after a pool was made, or on cancel. */
export function PoolCreateForm({ onClose }: { readonly onClose: () => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState<PoolCreate['type']>('dir');
  const [path, setPath] = useState('');
  const [shared, setShared] = useState(false);
  const [vg, setVg] = useState('');
  const [thin, setThin] = useState('');
  const [busy, setBusy] = useState(false);
  // A pool the daemon cannot use is about where it points: the directory, or the volume group.
  const f = useFormErrors(p, fields, { pool_unusable: type === 'dir' ? 'path' : 'vg' });

  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    const body: PoolCreate =
      type === 'dir'
        ? { name: name.trim(), type, path: path.trim(), ...(shared ? { shared } : {}) }
        : { name: name.trim(), type, volumeGroup: vg.trim(), thinPool: thin.trim() };
    setBusy(true);
    try {
      await client.call('createPool', { body });
      onClose();
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  const input = (key: string, label: string, value: string, set: (v: string) => void, hint?: string) => (
    <Field id={`${p}${key}`} label={label} hint={hint} error={f.errors[key]}>
      <input id={`${p}${key}`} value={value} onInput={(e) => set(e.currentTarget.value)} autoComplete="off" spellcheck={false} aria-invalid={f.errors[key] ? true : undefined} aria-describedby={describedBy(`${p}${key}`, !!hint, f.errors[key])} />
    </Field>
  );

  return (
    <form id="pool-create-form" class="card form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="pool-create-title">
      <h2 id="pool-create-title">New pool</h2>
      {f.formError && <Notice id="pool-create-error">{f.formError}</Notice>}
      <div class="row">
        {input('name', 'Name', name, setName)}
        <Field id={`${p}type`} label="Type" error={f.errors.type}>
          <select id={`${p}type`} value={type} onChange={(e) => setType(e.currentTarget.value as PoolCreate['type'])}>
            {poolTypes.map((t) => (
              <option key={t} value={t}>
                {t === 'dir' ? 'dir (a directory, local or shared)' : 'lvm-thin (thin LVs)'}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {type === 'dir' ? (
        <>
          {input('path', 'Directory', path, setPath, 'An absolute path on the daemon host; made if missing.')}
          <div class="field check">
            <input id={`${p}shared`} type="checkbox" checked={shared} onChange={(e) => setShared(e.currentTarget.checked)} aria-describedby={`${p}shared-hint`} />
            <label for={`${p}shared`}>Shared storage</label>
            <small class="hint" id={`${p}shared-hint`}>
              every host reaches the same files (NFS...): live migration copies no disks
            </small>
          </div>
          {f.errors.shared && <p class="field-error" id={`${p}shared-error`} role="alert">{f.errors.shared}</p>}
        </>
      ) : (
        <div class="row">
          {input('vg', 'Volume group', vg, setVg, 'An existing LVM volume group.')}
          {input('thin', 'Thin pool', thin, setThin, 'An existing thin pool LV in it.')}
        </div>
      )}
      <div class="form-actions">
        <button type="submit" class="primary" id="pool-create-submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create pool'}
        </button>
        <button type="button" id="pool-create-cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
