/**
 * One security group: what it is for, how many NICs are in it, its rules with remove buttons,
 * the add-rule form, and delete (refused by the API while NICs are in it). Ids:
 * `secgroup-${name}`, `secgroup-${name}-delete`, `secgroup-${name}-rules`, `rule-${id}-remove`.
 */
import type { SecurityGroup, SecurityGroupRule } from '@herd/api';
import { useEffect, useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { describeRule, formatPorts } from '../../lib/network-form.js';
import { useCan } from '../../lib/use-can.js';
import { ConfirmButton } from '../confirm-button.js';
import { Notice } from '../notice.js';
import { RuleAddForm } from './rule-add-form.js';

/** The block of `group`. */
export function SecgroupCard({ group: g }: { readonly group: SecurityGroup }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const can = useCan();
  // A refusal is about the group as it was; it goes when its rules or NICs change.
  useEffect(() => setError(undefined), [g.nics, g.rules.length]);
  const act = async (call: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await call();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const removeGroup = () => act(() => client.call('deleteSecurityGroup', { params: { id: g.id } }));
  const removeRule = (r: SecurityGroupRule) => act(() => client.call('removeSecurityGroupRule', { params: { id: g.id, rule: r.id } }));

  return (
    <section class="secgroup" id={`secgroup-${g.name}`} aria-labelledby={`secgroup-${g.name}-title`}>
      <div class="secgroup-head">
        <h3 id={`secgroup-${g.name}-title`}>{g.name}</h3>
        <span class="muted">{g.description}</span>
        <span class="muted" id={`secgroup-${g.name}-nics`}>
          {g.nics === 1 ? '1 NIC' : `${g.nics} NICs`}
        </span>
        <span class="spacer" />
        {can('deleteSecurityGroup') && <ConfirmButton id={`secgroup-${g.name}-delete`} label="Delete" ariaLabel={`Delete security group ${g.name}`} question={`Delete security group ${g.name} and its rules?`} onConfirm={() => void removeGroup()} />}
      </div>
      {error && (
        <Notice id={`secgroup-${g.name}-error`} onDismiss={() => setError(undefined)}>
          {error}
        </Notice>
      )}
      {g.rules.length === 0 ? (
        <p class="muted" id={`secgroup-${g.name}-rules`}>
          No rules: inbound connections are refused, outbound allowed.
        </p>
      ) : (
        <div class="table-wrap">
          <table class="table" id={`secgroup-${g.name}-rules`}>
            <thead>
              <tr>
                <th scope="col">Direction</th>
                <th scope="col">Protocol</th>
                <th scope="col">Ports</th>
                <th scope="col">Remote</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {g.rules.map((r) => (
                <tr key={r.id} id={`rule-${r.id}-row`} title={r.id}>
                  <td>{r.direction}</td>
                  <td>{r.protocol}</td>
                  <td class="mono">{formatPorts(r)}</td>
                  <td class="mono">{r.remoteCidr ?? 'anywhere'}</td>
                  <td class="c-row-actions">
                    {can('removeSecurityGroupRule') && (
                      <button type="button" id={`rule-${r.id}-remove`} aria-label={`Remove rule ${describeRule(r)} from ${g.name}`} onClick={() => void removeRule(r)}>
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {can('addSecurityGroupRule') && <RuleAddForm group={g} />}
    </section>
  );
}
