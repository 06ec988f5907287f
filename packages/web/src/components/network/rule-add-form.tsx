/**
 * Adding an allow rule to a group, inline under its rules: direction, protocol, ports (tcp and
 * udp) and the remote network. Inputs are `secgroup-${name}-rule-${key}`; the submit button is
 * `secgroup-${name}-rule-add`.
 */
import type { SecurityGroup, SecurityGroupRuleAdd } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { ruleAddBody, type RuleFormValues } from '../../lib/network-form.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { Field, describedBy } from '../field.js';
import { Notice } from '../notice.js';

const fields = { direction: 'direction', protocol: 'protocol', portFrom: 'ports', portTo: 'ports', remoteCidr: 'remote' } as const;
const initial: RuleFormValues = { direction: 'ingress', protocol: 'tcp', ports: '', remote: '' };

/** `v` with another protocol; ports typed for tcp or udp go when the protocol has none. */
function withProtocol(v: RuleFormValues, protocol: SecurityGroupRuleAdd['protocol']): RuleFormValues {
  return { ...v, protocol, ports: protocol === 'tcp' || protocol === 'udp' ? v.ports : '' };
}

/** The add-rule form of `group`. */
export function RuleAddForm({ group }: { readonly group: SecurityGroup }) {
  const p = `secgroup-${group.name}-rule-`;
  const [v, setV] = useState<RuleFormValues>(initial);
  const [busy, setBusy] = useState(false);
  const f = useFormErrors(p, fields);
  const hasPorts = v.protocol === 'tcp' || v.protocol === 'udp';

  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    const checked = ruleAddBody(v);
    if ('field' in checked) return f.failField(checked.field, checked.message);
    setBusy(true);
    try {
      await client.call('addSecurityGroupRule', { params: { id: group.id }, body: checked.body });
      setV(initial);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  const aria = (key: string, hint = false) => ({ 'aria-invalid': f.errors[key] ? true : undefined, 'aria-describedby': describedBy(`${p}${key}`, hint, f.errors[key]) });

  return (
    <form class="form rule-form" id={`secgroup-${group.name}-rule-form`} onSubmit={(e) => void submit(e)} noValidate aria-label={`Add a rule to ${group.name}`}>
      {f.formError && <Notice id={`${p}error`}>{f.formError}</Notice>}
      <div class="rule-fields">
        <Field id={`${p}direction`} label="Direction" error={f.errors.direction}>
          <select id={`${p}direction`} value={v.direction} onChange={(e) => setV({ ...v, direction: e.currentTarget.value as SecurityGroupRuleAdd['direction'] })} {...aria('direction')}>
            <option value="ingress">ingress (to the VM)</option>
            <option value="egress">egress (from the VM)</option>
          </select>
        </Field>
        <Field id={`${p}protocol`} label="Protocol" error={f.errors.protocol}>
          <select id={`${p}protocol`} value={v.protocol} onChange={(e) => setV(withProtocol(v, e.currentTarget.value as SecurityGroupRuleAdd['protocol']))} {...aria('protocol')}>
            <option value="tcp">tcp</option>
            <option value="udp">udp</option>
            <option value="icmp">icmp</option>
            <option value="any">any</option>
          </select>
        </Field>
        <Field id={`${p}ports`} label="Ports" hint={hasPorts ? '80 or 8000-8100; empty: all' : 'only tcp and udp have ports'} error={f.errors.ports}>
          <input id={`${p}ports`} value={v.ports} disabled={!hasPorts} placeholder="all" onInput={(e) => setV({ ...v, ports: e.currentTarget.value })} autoComplete="off" {...aria('ports', true)} />
        </Field>
        <Field id={`${p}remote`} label={v.direction === 'ingress' ? 'From' : 'To'} hint="A CIDR; empty: anywhere" error={f.errors.remote}>
          <input id={`${p}remote`} value={v.remote} placeholder="0.0.0.0/0" onInput={(e) => setV({ ...v, remote: e.currentTarget.value })} autoComplete="off" spellcheck={false} {...aria('remote', true)} />
        </Field>
        <div class="field rule-submit">
          <button type="submit" id={`secgroup-${group.name}-rule-add`} disabled={busy} aria-label={`Add the rule to ${group.name}`}>
            {busy ? 'Adding…' : 'Add rule'}
          </button>
        </div>
      </div>
    </form>
  );
}
