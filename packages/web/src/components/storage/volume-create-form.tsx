/** Creating an empty volume: name, size, pool, format and encryption at rest. */
import { formatSize, type Pool, type VolumeCreate } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { toBytes, type SizeUnit } from '../../lib/size-units.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { Field, describedBy } from '../field.js';
import { Notice } from '../notice.js';
import { SizeInput } from '../size-input.js';

const p = 'volume-create-';
const fields = { name: 'name', sizeBytes: 'size', pool: 'pool', format: 'format', encrypted: 'encrypted' } as const;
// Errors that name no field but are about one: space is the size's problem, a missing or unusable pool the pool's.
const codes = { insufficient_space: 'size', pool_unusable: 'pool', not_found: 'pool' } as const;

/** The create-volume form over `pools`; `onClose` is called after a volume was made, or on cancel. */
export function VolumeCreateForm({ pools, onClose }: { readonly pools: readonly Pool[]; readonly onClose: () => void }) {
  const [name, setName] = useState('');
  const [amount, setAmount] = useState('1');
  const [unit, setUnit] = useState<SizeUnit>('GiB');
  const [pool, setPool] = useState('default');
  const [format, setFormat] = useState<VolumeCreate['format'] | ''>('');
  const [encrypted, setEncrypted] = useState(false);
  const [busy, setBusy] = useState(false);
  const f = useFormErrors(p, fields, codes);

  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    const sizeBytes = toBytes(amount, unit);
    if (typeof sizeBytes === 'string') return f.failField('size', sizeBytes);
    const body: VolumeCreate = { name: name.trim(), sizeBytes, pool, ...(format ? { format } : {}), ...(encrypted && format !== 'raw' ? { encrypted: true } : {}) };
    setBusy(true);
    try {
      await client.call('createVolume', { body });
      onClose();
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  const free = pools.find((x) => x.name === pool)?.freeBytes;
  const aria = (key: string, hint = false) => ({ 'aria-invalid': f.errors[key] ? true : undefined, 'aria-describedby': describedBy(`${p}${key}`, hint, f.errors[key]) });

  return (
    <form id="volume-create-form" class="card form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="volume-create-title">
      <h2 id="volume-create-title">New volume</h2>
      {f.formError && <Notice id="volume-create-error">{f.formError}</Notice>}
      <div class="row">
        <Field id={`${p}name`} label="Name" error={f.errors.name}>
          <input id={`${p}name`} value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" spellcheck={false} autoFocus {...aria('name')} />
        </Field>
        <Field id={`${p}size`} label="Size" hint={free === undefined ? undefined : `${formatSize(Math.max(0, free))} free in ${pool}`} error={f.errors.size}>
          <SizeInput
            id={`${p}size`}
            amount={amount}
            unit={unit}
            onChange={(a, u) => {
              setAmount(a);
              setUnit(u);
            }}
            invalid={!!f.errors.size}
            describedBy={describedBy(`${p}size`, free !== undefined, f.errors.size)}
          />
        </Field>
        <Field id={`${p}pool`} label="Pool" error={f.errors.pool}>
          <select id={`${p}pool`} value={pool} onChange={(e) => setPool(e.currentTarget.value)} {...aria('pool')}>
            {pools.map((x) => (
              <option key={x.id} value={x.name}>
                {x.name} ({x.type})
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div class="row">
        <Field id={`${p}format`} label="Format" error={f.errors.format}>
          <select id={`${p}format`} value={format} onChange={(e) => setFormat(e.currentTarget.value as VolumeCreate['format'] | '')} {...aria('format')}>
            <option value="">the pool's usual</option>
            <option value="qcow2">qcow2 (snapshots, thin)</option>
            <option value="raw">raw</option>
          </select>
        </Field>
        <div class="field check">
          <input id={`${p}encrypted`} type="checkbox" checked={encrypted && format !== 'raw'} disabled={format === 'raw'} onChange={(e) => setEncrypted(e.currentTarget.checked)} {...aria('encrypted', true)} />
          <label for={`${p}encrypted`}>Encrypted at rest</label>
          <small class="hint" id={`${p}encrypted-hint`}>
            LUKS in qcow2; herd keeps the key
          </small>
        </div>
      </div>
      {f.errors.encrypted && <p class="field-error" id={`${p}encrypted-error`} role="alert">{f.errors.encrypted}</p>}
      <div class="form-actions">
        <button type="submit" class="primary" id="volume-create-submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create volume'}
        </button>
        <button type="button" id="volume-create-cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

