/** Creating a security group: a name and what it is for. It starts without rules. */
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { Field, describedBy } from '../field.js';
import { Notice } from '../notice.js';

const p = 'secgroup-create-';

/** The create-group form; `onClose` is called after a group was made, or on cancel. */
export function SecgroupCreateForm({ onClose }: { readonly onClose: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const f = useFormErrors(p, { name: 'name', description: 'description' });

  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    setBusy(true);
    try {
      await client.call('createSecurityGroup', { body: { name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) } });
      onClose();
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form id="secgroup-create-form" class="card form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="secgroup-create-title">
      <h2 id="secgroup-create-title">New security group</h2>
      {f.formError && <Notice id="secgroup-create-error">{f.formError}</Notice>}
      <p class="muted">A NIC in a group accepts no new inbound connection until a rule allows it; outbound is allowed until egress rules limit it.</p>
      <div class="row">
        <Field id={`${p}name`} label="Name" error={f.errors.name}>
          <input id={`${p}name`} value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" spellcheck={false} autoFocus aria-invalid={f.errors.name ? true : undefined} aria-describedby={describedBy(`${p}name`, false, f.errors.name)} />
        </Field>
        <Field id={`${p}description`} label="Description" error={f.errors.description}>
          <input id={`${p}description`} value={description} onInput={(e) => setDescription(e.currentTarget.value)} autoComplete="off" aria-invalid={f.errors.description ? true : undefined} aria-describedby={describedBy(`${p}description`, false, f.errors.description)} />
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" id="secgroup-create-submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create group'}
        </button>
        <button type="button" id="secgroup-create-cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
