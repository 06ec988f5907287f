/**
 * Storage: pools with their space, and volumes with what uses them. Both tables are read again
 * when an event says storage changed (a volume made, attached or grown, a pool added, a job
 * finished), including changes made through the CLI or the API behind the page's back.
 */
import type { HerdEvent } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../lib/client.js';
import { useCan } from '../lib/use-can.js';
import { isStorageEvent } from '../lib/event-filters.js';
import { errorMessage } from '../lib/errors.js';
import { useLive } from '../lib/use-live.js';
import { Notice } from '../components/notice.js';
import { PoolCreateForm } from '../components/storage/pool-create-form.js';
import { PoolTable } from '../components/storage/pool-table.js';
import { VolumeCreateForm } from '../components/storage/volume-create-form.js';
import { VolumeTable } from '../components/storage/volume-table.js';

const byName = <T extends { readonly name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
// Only the names of VMs are needed here (to attach to), so only their arrival and departure matter.
const isVmListChange = (e: HerdEvent) => e.type === 'vm.created' || e.type === 'vm.deleted';

/** The storage page. */
export function StoragePage() {
  const pools = useLive(() => client.call('listPools'), isStorageEvent);
  const volumes = useLive(() => client.call('listVolumes'), isStorageEvent);
  const vms = useLive(async () => (await client.call('listVms')).map((v) => v.name).sort(), isVmListChange);
  const [form, setForm] = useState<'pool' | 'volume' | undefined>(undefined);
  const can = useCan();
  const error = pools.error ?? volumes.error;

  return (
    <div class="page page-wide">
      <div class="page-head">
        <h1>Storage</h1>
        <div class="actions">
          {can('createVolume') && (
            <button type="button" class="primary" id="volume-create-open" aria-expanded={form === 'volume'} onClick={() => setForm(form === 'volume' ? undefined : 'volume')}>
              New volume
            </button>
          )}
          {can('createPool') && (
            <button type="button" id="pool-create-open" aria-expanded={form === 'pool'} onClick={() => setForm(form === 'pool' ? undefined : 'pool')}>
              New pool
            </button>
          )}
        </div>
      </div>
      {error && <Notice>{errorMessage(error)}</Notice>}
      {form === 'volume' && <VolumeCreateForm pools={[...(pools.data ?? [])].sort(byName)} onClose={() => setForm(undefined)} />}
      {form === 'pool' && <PoolCreateForm onClose={() => setForm(undefined)} />}
      <section class="card" aria-labelledby="pools-title">
        <h2 id="pools-title">
          Pools <span class="muted">{pools.data?.length ?? ''}</span>
        </h2>
        <PoolTable pools={[...(pools.data ?? [])].sort(byName)} />
      </section>
      <section class="card" aria-labelledby="volumes-title">
        <h2 id="volumes-title">
          Volumes <span class="muted">{volumes.data?.length ?? ''}</span>
        </h2>
        {volumes.data?.length === 0 ? <p class="muted" id="volume-table">No volumes yet.</p> : <VolumeTable volumes={[...(volumes.data ?? [])].sort(byName)} vms={vms.data ?? []} />}
      </section>
    </div>
  );
}
