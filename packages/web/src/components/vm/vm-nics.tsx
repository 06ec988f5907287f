/**
 * A VM's NICs on herd networks (its spec), with remove, and a control to add one on a network
 * with an optional fixed address. A running VM gets them hot-plugged; the operation's progress
 * shows in `vm-${name}-nic-op`.
 */
import type { Vm, VmNic } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { isNetworkEvent } from '../../lib/network-events.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { useCan } from '../../lib/use-can.js';
import { useLive } from '../../lib/use-live.js';
import { isActive, useOperation } from '../../lib/use-operation.js';
import { Field, describedBy } from '../field.js';
import { Link } from '../link.js';
import { OperationStatus } from '../operation-status.js';
import './vm-nics.css';

const columns = 6;

/** The NICs section of VM `vm`. */
export function VmNics({ vm }: { readonly vm: Vm }) {
  const networks = useLive(async () => (await client.call('listNetworks')).map((n) => n.name).sort(), isNetworkEvent);
  const [opId, setOpId] = useState<string | undefined>(undefined);
  const op = useOperation(opId).data;
  const can = useCan();
  const [rowError, setRowError] = useState<{ readonly device: string; readonly text: string } | undefined>(undefined);
  // Daemons from before herd networks send no nics.
  const nics = vm.spec.nics ?? [];
  const remove = async (n: VmNic) => {
    setRowError(undefined);
    try {
      setOpId((await client.call('removeVmNic', { params: { id: vm.id, nic: n.device } })).id);
    } catch (e) {
      setRowError({ device: n.device, text: errorMessage(e) });
    }
  };

  return (
    <section class="card" aria-labelledby="nics-title">
      <h2 id="nics-title">
        Network interfaces <Link href="/networks" class="small">networks</Link>
      </h2>
      {nics.length === 0 ? (
        <p class="muted" id={`vm-${vm.name}-nics`}>
          No NICs on herd networks{vm.spec.portForwards.length ? ': the port forwards use QEMU user-mode networking.' : '.'}
        </p>
      ) : (
        <div class="table-wrap">
          <table class="table" id={`vm-${vm.name}-nics`}>
            <thead>
              <tr>
                <th scope="col">Network</th>
                <th scope="col">MAC</th>
                <th scope="col">IP</th>
                <th scope="col">Security groups</th>
                <th scope="col">Device</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {nics.map((n) => (
                <NicRow key={n.device} nic={n} busy={isActive(op)} removable={can('removeVmNic')} error={rowError?.device === n.device ? rowError.text : undefined} onRemove={() => void remove(n)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {can('addVmNic') && <AddNic vm={vm} networks={networks.data ?? []} busy={isActive(op)} onStarted={setOpId} />}
      <OperationStatus op={op} id={`vm-${vm.name}-nic-op`} />
    </section>
  );
}

function NicRow({ nic: n, busy, removable, error, onRemove }: { readonly nic: VmNic; readonly busy: boolean; readonly removable: boolean; readonly error: string | undefined; readonly onRemove: () => void }) {
  return (
    <>
      <tr id={`nic-${n.device}-row`}>
        <th scope="row">{n.network}</th>
        <td class="mono">{n.mac}</td>
        <td class="mono" id={`nic-${n.device}-ip`}>
          {n.ip ?? '—'}
        </td>
        <td>{n.securityGroups.length ? n.securityGroups.join(', ') : <span class="muted">none</span>}</td>
        <td class="mono">{n.device}</td>
        <td class="c-row-actions">
          {removable && (
            <button type="button" id={`nic-${n.device}-remove`} disabled={busy} aria-label={`Remove the NIC on ${n.network} (${n.mac})`} onClick={onRemove}>
              Remove
            </button>
          )}
        </td>
      </tr>
      {error && (
        <tr class="row-error">
          <td colSpan={columns} id={`nic-${n.device}-error`} role="alert">
            {error}
          </td>
        </tr>
      )}
    </>
  );
}

function AddNic({ vm, networks, busy: elsewhere, onStarted }: { readonly vm: Vm; readonly networks: readonly string[]; readonly busy: boolean; readonly onStarted: (opId: string) => void }) {
  const p = `vm-${vm.name}-nic-`;
  const [chosen, setChosen] = useState('');
  const [ip, setIp] = useState('');
  const [asking, setBusy] = useState(false);
  const busy = asking || elsewhere;
  // Refusals about the address go next to it; those about the network or the VM's state next to the network.
  const f = useFormErrors(p, { network: 'network', ip: 'ip', mac: 'network', securityGroups: 'network' }, {
    address_conflict: 'ip',
    addresses_exhausted: 'network',
    networking_unavailable: 'network',
    action_not_allowed: 'network',
    not_found: 'network',
  });
  const network = networks.includes(chosen) ? chosen : (networks.find((n) => n === 'default') ?? networks[0] ?? '');
  const networkError = f.errors.network ?? f.formError;
  const live = vm.state === 'running' || vm.state === 'paused';
  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    setBusy(true);
    try {
      onStarted((await client.call('addVmNic', { params: { id: vm.id }, body: { network, ...(ip.trim() ? { ip: ip.trim() } : {}) } })).id);
      setIp('');
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  if (networks.length === 0)
    return (
      <p class="muted" id={`${p}none`}>
        No network to add a NIC on: make one on the <Link href="/networks">networks page</Link>.
      </p>
    );
  return (
    <form class="inline-form" id={`${p}form`} onSubmit={(e) => void submit(e)} noValidate aria-label={`Add a NIC to ${vm.name}`}>
      <div class="nic-add-row">
        <Field id={`${p}network`} label="Add a NIC on" hint={live ? 'It is hot-plugged into the running VM.' : 'The VM gets it at its next start.'} error={networkError}>
          <select id={`${p}network`} value={network} onChange={(e) => setChosen(e.currentTarget.value)} aria-invalid={networkError ? true : undefined} aria-describedby={describedBy(`${p}network`, true, networkError)}>
            {networks.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${p}ip`} label="IP address" hint="Optional; empty: the next free one." error={f.errors.ip}>
          <input id={`${p}ip`} value={ip} placeholder="automatic" onInput={(e) => setIp(e.currentTarget.value)} autoComplete="off" spellcheck={false} aria-invalid={f.errors.ip ? true : undefined} aria-describedby={describedBy(`${p}ip`, true, f.errors.ip)} />
        </Field>
        <button type="submit" id={`vm-${vm.name}-nic-add`} disabled={busy || !network}>
          Add NIC
        </button>
      </div>
    </form>
  );
}
