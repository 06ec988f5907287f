/**
 * Creating a network: nat or isolated (herd makes the bridge and hands out addresses from the
 * cidr) or bridged (an existing host bridge). Only the fields of the chosen type are shown and
 * sent; the API's messages appear next to the field they name.
 */
import { networkTypes, type NetworkCreate } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { networkCreateBody, type NetworkFormValues } from '../../lib/network-form.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { Field, describedBy } from '../field.js';
import { Notice } from '../notice.js';

const p = 'network-create-';
const fields = {
  name: 'name',
  type: 'type',
  cidr: 'cidr',
  dhcpRange: 'dhcpStart',
  'dhcpRange.start': 'dhcpStart',
  'dhcpRange.end': 'dhcpEnd',
  bridge: 'bridge',
  vlan: 'vlan',
  mtu: 'mtu',
} as const;

const typeLabels: Readonly<Record<NetworkCreate['type'], string>> = {
  nat: 'nat (routed out through the host, DHCP and DNS)',
  isolated: 'isolated (VMs and the host only)',
  bridged: 'bridged (an existing host bridge)',
  vxlan: 'vxlan (like isolated, spanning every host of the cluster)',
};

const empty: NetworkFormValues = { name: '', type: 'nat', cidr: '', dhcpStart: '', dhcpEnd: '', bridge: '', vlan: '', mtu: '' };

/** The create-network form; `onClose` is called after a network was made, or on cancel. */
export function NetworkCreateForm({ onClose }: { readonly onClose: () => void }) {
  const [v, setV] = useState<NetworkFormValues>(empty);
  const [busy, setBusy] = useState(false);
  const f = useFormErrors(p, fields);
  const set = (key: keyof NetworkFormValues) => (value: string) => setV((now) => ({ ...now, [key]: value }));

  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    const checked = networkCreateBody(v);
    if ('field' in checked) return f.failField(checked.field, checked.message);
    setBusy(true);
    try {
      await client.call('createNetwork', { body: checked.body });
      onClose();
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  const input = (key: keyof NetworkFormValues & keyof typeof empty, label: string, hint?: string, placeholder?: string) => (
    <Field id={`${p}${key}`} label={label} hint={hint} error={f.errors[key]}>
      <input
        id={`${p}${key}`}
        value={v[key]}
        placeholder={placeholder}
        onInput={(e) => set(key)(e.currentTarget.value)}
        autoComplete="off"
        spellcheck={false}
        aria-invalid={f.errors[key] ? true : undefined}
        aria-describedby={describedBy(`${p}${key}`, !!hint, f.errors[key])}
      />
    </Field>
  );

  return (
    <form id="network-create-form" class="card form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="network-create-title">
      <h2 id="network-create-title">New network</h2>
      {f.formError && <Notice id="network-create-error">{f.formError}</Notice>}
      <div class="row">
        {input('name', 'Name')}
        <Field id={`${p}type`} label="Type" error={f.errors.type}>
          <select id={`${p}type`} value={v.type} onChange={(e) => set('type')(e.currentTarget.value)}>
            {networkTypes.map((t) => (
              <option key={t} value={t}>
                {typeLabels[t]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {v.type === 'bridged' ? (
        <div class="row">{input('bridge', 'Host bridge', 'An existing bridge (or interface); its own network hands out addresses.', 'br0')}</div>
      ) : (
        <div class="row">
          {input('cidr', 'Network (CIDR)', 'The gateway is its first address.', '10.10.0.0/24')}
          {input('dhcpStart', 'DHCP range start', 'Empty: most of the network.')}
          {input('dhcpEnd', 'DHCP range end')}
        </div>
      )}
      <div class="row">
        {input('vlan', 'VLAN', 'Optional: tag the ports of VMs on it (1-4094).')}
        {input('mtu', 'MTU', 'Optional; 1500 by default.')}
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" id="network-create-submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create network'}
        </button>
        <button type="button" id="network-create-cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
