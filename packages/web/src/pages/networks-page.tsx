/**
 * Networks: the networks VM NICs attach to, and the security groups that filter those NICs,
 * with their rules. Both are read again when an event says they may have changed (a network
 * or group event, a NIC added or removed, an operation that ended), including changes made
 * through the CLI or the API behind the page's back.
 */
import { useState } from 'preact/hooks';
import { client } from '../lib/client.js';
import { useCan } from '../lib/use-can.js';
import { errorMessage } from '../lib/errors.js';
import { isNetworkEvent, isSecgroupEvent } from '../lib/network-events.js';
import { useLive } from '../lib/use-live.js';
import { NetworkCreateForm } from '../components/network/network-create-form.js';
import { NetworkTable } from '../components/network/network-table.js';
import { SecgroupCard } from '../components/network/secgroup-card.js';
import { SecgroupCreateForm } from '../components/network/secgroup-create-form.js';
import { Notice } from '../components/notice.js';
import './networks-page.css';

const byName = <T extends { readonly name: string }>(a: T, b: T) => a.name.localeCompare(b.name);

/** The networks page. */
export function NetworksPage() {
  const networks = useLive(() => client.call('listNetworks'), isNetworkEvent);
  const groups = useLive(() => client.call('listSecurityGroups'), isSecgroupEvent);
  const [form, setForm] = useState<'network' | 'secgroup' | undefined>(undefined);
  const can = useCan();
  const toggle = (which: 'network' | 'secgroup') => setForm(form === which ? undefined : which);

  return (
    <div class="page page-wide">
      <div class="page-head">
        <h1>Networks</h1>
        <div class="actions">
          {can('createNetwork') && (
            <button type="button" class="primary" id="network-create-open" aria-expanded={form === 'network'} onClick={() => toggle('network')}>
              New network
            </button>
          )}
          {can('createSecurityGroup') && (
            <button type="button" id="secgroup-create-open" aria-expanded={form === 'secgroup'} onClick={() => toggle('secgroup')}>
              New security group
            </button>
          )}
        </div>
      </div>
      {form === 'network' && <NetworkCreateForm onClose={() => setForm(undefined)} />}
      {form === 'secgroup' && <SecgroupCreateForm onClose={() => setForm(undefined)} />}
      <section class="card" aria-labelledby="networks-title">
        <h2 id="networks-title">
          Networks <span class="muted">{networks.data?.length ?? ''}</span>
        </h2>
        {networks.error && <Notice>{errorMessage(networks.error)}</Notice>}
        {networks.data?.length === 0 ? (
          <p class="muted" id="network-table">
            No networks. VMs without a NIC reach out only through port forwards (QEMU user-mode networking).
          </p>
        ) : (
          <NetworkTable networks={[...(networks.data ?? [])].sort(byName)} />
        )}
      </section>
      <section class="card" aria-labelledby="secgroups-title">
        <h2 id="secgroups-title">
          Security groups <span class="muted">{groups.data?.length ?? ''}</span>
        </h2>
        {groups.error && <Notice>{errorMessage(groups.error)}</Notice>}
        {groups.data?.length === 0 && (
          <p class="muted" id="secgroup-none">
            No security groups. NICs in no group are not filtered.
          </p>
        )}
        {[...(groups.data ?? [])].sort(byName).map((g) => (
          <SecgroupCard key={g.id} group={g} />
        ))}
      </section>
    </div>
  );
}
