/** The pools table: each pool with its space, and delete (refused by the API while it holds volumes). */
import { formatSize, type Pool } from '@herd/api';
import { useEffect, useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { useCan } from '../../lib/use-can.js';
import { ConfirmButton } from '../confirm-button.js';
import { UsageBar } from '../usage-bar.js';

function location(p: Pool): string {
  return p.type === 'dir' ? (p.path ?? '') : `${p.volumeGroup ?? '?'}/${p.thinPool ?? '?'}`;
}

/** One pool: row `pool-${name}-row`, and its error row `pool-${name}-error` when the API refused something. */
function PoolRow({ pool }: { readonly pool: Pool }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const can = useCan();
  // A refusal (still holds volumes) is about the pool as it was; it goes when its volumes change.
  useEffect(() => setError(undefined), [pool.volumes]);
  const remove = async () => {
    setError(undefined);
    try {
      await client.call('deletePool', { params: { id: pool.id } });
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const over = pool.allocatedBytes > pool.capacityBytes;
  return (
    <>
      <tr id={`pool-${pool.name}-row`} class={error ? 'has-row-error' : ''}>
        <th scope="row">
          {pool.name} {pool.shared && <span class="badge tag">shared</span>}
        </th>
        <td>{pool.type}</td>
        <td class="mono">{location(pool)}</td>
        <td class="num">{formatSize(pool.capacityBytes)}</td>
        <td class="c-usage">
          <span class="num">{formatSize(pool.usedBytes)}</span>
          <UsageBar used={pool.usedBytes} free={pool.freeBytes} label={`Space used in pool ${pool.name}`} id={`pool-${pool.name}-usage`} />
        </td>
        <td class="num" title={over ? 'thin provisioning: the volumes may grow beyond the space there is' : undefined}>
          {formatSize(pool.allocatedBytes)}
          {over && <span class="warn-text"> (overcommitted)</span>}
        </td>
        <td class="num" id={`pool-${pool.name}-free`}>
          {formatSize(pool.freeBytes)}
        </td>
        <td class="num" id={`pool-${pool.name}-volumes`}>
          {pool.volumes}
        </td>
        <td class="c-row-actions">
          {can('deletePool') && (
            <ConfirmButton
              id={`pool-${pool.name}-delete`}
              label="Delete"
              ariaLabel={`Delete pool ${pool.name}`}
              question={`Forget pool ${pool.name}? Its ${pool.type === 'dir' ? 'directory' : 'thin pool'} is left as it is.`}
              onConfirm={() => void remove()}
            />
          )}
        </td>
      </tr>
      {error && (
        <tr class="row-error">
          <td colSpan={9} id={`pool-${pool.name}-error`} role="alert">
            {error}
          </td>
        </tr>
      )}
    </>
  );
}

/** The table of `pools`. */
export function PoolTable({ pools }: { readonly pools: readonly Pool[] }) {
  return (
    <div class="table-wrap">
      <table class="table" id="pool-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Location</th>
            <th scope="col" class="num">Capacity</th>
            <th scope="col">Used</th>
            <th scope="col" class="num">Allocated</th>
            <th scope="col" class="num">Free</th>
            <th scope="col" class="num">Volumes</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {pools.map((p) => (
            <PoolRow key={p.id} pool={p} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
