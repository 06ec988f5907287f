/**
 * A VM's disks (its spec: the root disk first, then data volumes as attached), with detach
 * for data disks and a control to attach a free volume. A running VM gets them hot-plugged;
 * the operation's progress shows in `vm-${name}-disk-op`.
 */
import { formatSize, type Vm, type VmDisk } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { isStorageEvent } from '../../lib/event-filters.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { useCan } from '../../lib/use-can.js';
import { useLive } from '../../lib/use-live.js';
import { isActive, useOperation } from '../../lib/use-operation.js';
import { Field, describedBy } from '../field.js';
import { Link } from '../link.js';
import { OperationStatus } from '../operation-status.js';

/** The disks section of VM `vm`. */
export function VmDisks({ vm }: { readonly vm: Vm }) {
  const free = useLive(async () => (await client.call('listVolumes')).filter((v) => v.vm === null).map((v) => v.name).sort(), isStorageEvent);
  const [opId, setOpId] = useState<string | undefined>(undefined);
  const op = useOperation(opId).data;
  const can = useCan();
  const [rowError, setRowError] = useState<{ readonly volume: string; readonly text: string } | undefined>(undefined);
  const detach = async (d: VmDisk) => {
    setRowError(undefined);
    try {
      setOpId((await client.call('detachVolume', { params: { id: d.volume }, body: {} })).id);
    } catch (e) {
      setRowError({ volume: d.volume, text: errorMessage(e) });
    }
  };

  return (
    <section class="card" aria-labelledby="disks-title">
      <h2 id="disks-title">
        Disks <Link href="/storage" class="small">storage</Link>
      </h2>
      <div class="table-wrap">
        <table class="table" id={`vm-${vm.name}-disks`}>
          <thead>
            <tr>
              <th scope="col">Volume</th>
              <th scope="col">Pool</th>
              <th scope="col">Format</th>
              <th scope="col" class="num">Size</th>
              <th scope="col">Role</th>
              <th scope="col">Device</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {vm.spec.disks.map((d) => (
              <DiskRow key={d.volume} disk={d} busy={isActive(op)} detachable={can('detachVolume')} error={rowError?.volume === d.volume ? rowError.text : undefined} onDetach={() => void detach(d)} />
            ))}
            {vm.spec.cdrom && (
              <tr id={`vm-${vm.name}-cdrom`}>
                <th scope="row">{vm.spec.cdrom}</th>
                <td colSpan={3} class="muted">
                  ISO image
                </td>
                <td>cdrom</td>
                <td class="mono">cdrom</td>
                <td />
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {can('attachVolume') && <AttachVolume vm={vm} free={free.data ?? []} busy={isActive(op)} onStarted={setOpId} />}
      <OperationStatus op={op} id={`vm-${vm.name}-disk-op`} />
    </section>
  );
}

function DiskRow({ disk: d, busy, detachable, error, onDetach }: { readonly disk: VmDisk; readonly busy: boolean; readonly detachable: boolean; readonly error: string | undefined; readonly onDetach: () => void }) {
  return (
    <>
      <tr id={`disk-${d.volume}-row`} data-role={d.role}>
        <th scope="row">{d.volume}</th>
        <td>{d.pool}</td>
        <td>{d.format}</td>
        <td class="num">{formatSize(d.sizeBytes)}</td>
        <td>{d.role}</td>
        <td class="mono">{d.device}</td>
        <td class="c-row-actions">
          {d.role === 'data' && detachable && (
            <button type="button" id={`volume-${d.volume}-detach`} disabled={busy} aria-label={`Detach volume ${d.volume}`} onClick={onDetach}>
              Detach
            </button>
          )}
        </td>
      </tr>
      {error && (
        <tr class="row-error">
          <td colSpan={7} id={`volume-${d.volume}-error`} role="alert">
            {error}
          </td>
        </tr>
      )}
    </>
  );
}

function AttachVolume({ vm, free, busy: elsewhere, onStarted }: { readonly vm: Vm; readonly free: readonly string[]; readonly busy: boolean; readonly onStarted: (opId: string) => void }) {
  const p = `vm-${vm.name}-disk-attach-`;
  const [chosen, setChosen] = useState('');
  const [asking, setBusy] = useState(false);
  const busy = asking || elsewhere;
  // Refusals of an attach concern the volume picked (in use, gone) or the VM's state; both are shown by the select.
  const f = useFormErrors(p, { vm: 'volume', volume: 'volume' }, { volume_in_use: 'volume', not_found: 'volume', action_not_allowed: 'volume' });
  const volume = free.includes(chosen) ? chosen : (free[0] ?? '');
  const error = f.errors.volume ?? f.formError;
  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    setBusy(true);
    try {
      onStarted((await client.call('attachVolume', { params: { id: volume }, body: { vm: vm.id } })).id);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  if (free.length === 0)
    return (
      <p class="muted" id={`${p}none`}>
        No free volume to attach: make one on the <Link href="/storage">storage page</Link>.
      </p>
    );
  return (
    <form class="inline-form" id={`vm-${vm.name}-disk-attach-form`} onSubmit={(e) => void submit(e)} noValidate>
      <Field id={`${p}volume`} label="Attach a volume" hint={vm.state === 'running' || vm.state === 'paused' ? 'It is hot-plugged into the running VM.' : 'The VM gets it at its next start.'} error={error}>
        <span class="control-row">
          <select id={`${p}volume`} value={volume} onChange={(e) => setChosen(e.currentTarget.value)} aria-invalid={error ? true : undefined} aria-describedby={describedBy(`${p}volume`, true, error)}>
            {free.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <button type="submit" id={`vm-${vm.name}-disk-attach`} disabled={busy || !volume}>
            Attach
          </button>
        </span>
      </Field>
    </form>
  );
}
