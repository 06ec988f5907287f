/** The networks table: addressing, bridge, NIC count and state of each, and delete (refused by the API while NICs use it). */
import type { Network } from '@herd/api';
import { useEffect, useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { useCan } from '../../lib/use-can.js';
import { ConfirmButton } from '../confirm-button.js';

const columns = 10;

/** One network: row `network-${name}-row`, and its error row `network-${name}-error` when the API refused something. */
function NetworkRow({ network: n }: { readonly network: Network }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const can = useCan();
  // A refusal (NICs still use it) is about the network as it was; it goes when its NICs change.
  useEffect(() => setError(undefined), [n.nics]);
  const remove = async () => {
    setError(undefined);
    try {
      await client.call('deleteNetwork', { params: { id: n.id } });
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <>
      <tr id={`network-${n.name}-row`} class={error ? 'has-row-error' : ''}>
        <th scope="row">{n.name}</th>
        <td>{n.type}</td>
        <td class="mono">{n.cidr ?? '—'}</td>
        <td class="mono">{n.gateway ?? '—'}</td>
        <td class="mono">{n.dhcpRange ? `${n.dhcpRange.start}–${n.dhcpRange.end}` : '—'}</td>
        <td class="mono">{n.bridge}</td>
        <td>
          {n.vlan ?? '—'} <span class="muted">/ {n.mtu}</span>
        </td>
        <td class="num" id={`network-${n.name}-nics`}>
          {n.nics}
        </td>
        <td>
          <span class={`badge net-state-${n.status.state}`} id={`network-${n.name}-state`} data-state={n.status.state} title={n.status.error ?? undefined}>
            {n.status.state}
          </span>
          {n.status.error && <div class="reason error-text">{n.status.error}</div>}
        </td>
        <td class="c-row-actions">
          {can('deleteNetwork') && (
            <ConfirmButton
              id={`network-${n.name}-delete`}
              label="Delete"
              ariaLabel={`Delete network ${n.name}`}
              question={n.type === 'bridged' ? `Delete network ${n.name}? Bridge ${n.bridge} is left as it is.` : `Delete network ${n.name}, its bridge and its DHCP/DNS server?`}
              onConfirm={() => void remove()}
            />
          )}
        </td>
      </tr>
      {error && (
        <tr class="row-error">
          <td colSpan={columns} id={`network-${n.name}-error`} role="alert">
            {error}
          </td>
        </tr>
      )}
    </>
  );
}

/** The table of `networks`. */
export function NetworkTable({ networks }: { readonly networks: readonly Network[] }) {
  return (
    <div class="table-wrap">
      <table class="table" id="network-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">CIDR</th>
            <th scope="col">Gateway</th>
            <th scope="col">DHCP range</th>
            <th scope="col">Bridge</th>
            <th scope="col">VLAN / MTU</th>
            <th scope="col" class="num">NICs</th>
            <th scope="col">State</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {networks.map((n) => (
            <NetworkRow key={n.id} network={n} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
