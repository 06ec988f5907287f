/**
 * One volume in the volumes table, with its actions: attach to a VM (`volume-${name}-attach`
 * opens a VM select), detach, resize (grow only: the API refuses to shrink and says why), and
 * delete. Refusals appear under the row (`volume-${name}-error`), field errors next to the
 * field, and attach/detach progress in `volume-${name}-op`.
 */
import type { ComponentChildren } from 'preact';
import { formatSize, type Volume } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { fromBytes, toBytes, type SizeUnit } from '../../lib/size-units.js';
import { useCan } from '../../lib/use-can.js';
import { useFormErrors } from '../../lib/use-form-errors.js';
import { isActive, useOperation } from '../../lib/use-operation.js';
import { ConfirmButton } from '../confirm-button.js';
import { Field, describedBy } from '../field.js';
import { Link } from '../link.js';
import { OperationStatus } from '../operation-status.js';
import { SizeInput } from '../size-input.js';

/** Columns of the volumes table, for rows that span it. */
export const volumeColumns = 10;

/** Props of {@link VolumeRow}. */
export interface VolumeRowProps {
  readonly volume: Volume;
  /** Names of the VMs it may be attached to. */
  readonly vms: readonly string[];
}

/** A volume row, with the rows of its open form, its error and its operation under it. */
export function VolumeRow({ volume: v, vms }: VolumeRowProps) {
  const id = `volume-${v.name}`;
  const [panel, setPanel] = useState<'attach' | 'resize' | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [opId, setOpId] = useState<string | undefined>(undefined);
  const op = useOperation(opId).data;
  const [asking, setAsking] = useState(false);
  const can = useCan();
  // No second action while a request or an attach/detach of this volume is under way.
  const busy = asking || isActive(op);

  const act = async (what: () => Promise<unknown>) => {
    setError(undefined);
    setAsking(true);
    try {
      await what();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setAsking(false);
    }
  };
  const detach = () => act(async () => setOpId((await client.call('detachVolume', { params: { id: v.id }, body: {} })).id));
  const remove = () => act(() => client.call('deleteVolume', { params: { id: v.id } }));
  const open = (which: 'attach' | 'resize') => {
    setError(undefined);
    setPanel(panel === which ? undefined : which);
  };

  return (
    <>
      <tr id={`${id}-row`} data-vm={v.vm ?? ''}>
        <th scope="row">{v.name}</th>
        <td>{v.pool}</td>
        <td>{v.format}</td>
        <td class="num" id={`${id}-size`}>
          {formatSize(v.sizeBytes)}
        </td>
        <td class="num">{formatSize(v.usedBytes)}</td>
        <td>{v.role}</td>
        <td id={`${id}-vm`}>{v.vm ? <Link href={`/vms/${v.vm}`}>{v.vm}</Link> : <span class="muted">—</span>}</td>
        <td>{v.image ?? <span class="muted">—</span>}</td>
        <td>{v.encrypted ? <span class="badge tag">LUKS</span> : <span class="muted">no</span>}</td>
        <td class="c-row-actions">
          <div class="actions">
            {!can('attachVolume') ? null : v.vm ? (
              <button
                type="button"
                id={`${id}-detach`}
                disabled={busy || v.role === 'root'}
                title={v.role === 'root' ? `the root disk of ${v.vm}; it goes when the VM is deleted` : undefined}
                aria-label={`Detach volume ${v.name} from ${v.vm}`}
                onClick={() => void detach()}
              >
                Detach
              </button>
            ) : (
              <button type="button" id={`${id}-attach`} disabled={busy || vms.length === 0} title={vms.length ? undefined : 'there is no VM to attach it to'} aria-expanded={panel === 'attach'} aria-label={`Attach volume ${v.name} to a VM`} onClick={() => open('attach')}>
                Attach…
              </button>
            )}
            {can('resizeVolume') && (
              <button type="button" id={`${id}-resize`} disabled={busy} aria-expanded={panel === 'resize'} aria-label={`Resize volume ${v.name}`} onClick={() => open('resize')}>
                Resize…
              </button>
            )}
            {can('deleteVolume') && (
              <ConfirmButton
                id={`${id}-delete`}
                label="Delete"
                ariaLabel={`Delete volume ${v.name}`}
                question={`Delete ${v.name} and its data?`}
                disabled={busy || v.vm !== null}
                onConfirm={() => void remove()}
              />
            )}
          </div>
        </td>
      </tr>
      {panel === 'attach' && (
        <PanelRow>
          <AttachForm volume={v} vms={vms} onDone={(op) => {
              setPanel(undefined);
              setOpId(op);
            }} onCancel={() => setPanel(undefined)} />
        </PanelRow>
      )}
      {panel === 'resize' && (
        <PanelRow>
          <ResizeForm volume={v} onDone={() => setPanel(undefined)} onCancel={() => setPanel(undefined)} />
        </PanelRow>
      )}
      {error && (
        <tr class="row-error">
          <td colSpan={volumeColumns} id={`${id}-error`} role="alert">
            {error}
          </td>
        </tr>
      )}
      <OperationStatus op={op} id={`${id}-op`} row={volumeColumns} />
    </>
  );
}

function PanelRow({ children }: { readonly children: ComponentChildren }) {
  return (
    <tr class="row-panel">
      <td colSpan={volumeColumns}>{children}</td>
    </tr>
  );
}

function AttachForm({ volume: v, vms, onDone, onCancel }: { readonly volume: Volume; readonly vms: readonly string[]; readonly onDone: (opId: string) => void; readonly onCancel: () => void }) {
  const p = `volume-${v.name}-`;
  const [vm, setVm] = useState(vms[0] ?? '');
  const [busy, setBusy] = useState(false);
  // Every refusal of an attach is about the VM chosen (or this volume, already in use).
  const f = useFormErrors(p, { vm: 'attach-vm' }, { volume_in_use: 'attach-vm', action_not_allowed: 'attach-vm', not_found: 'attach-vm' });
  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    setBusy(true);
    try {
      onDone((await client.call('attachVolume', { params: { id: v.id }, body: { vm } })).id);
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form" id={`${p}attach-form`} onSubmit={(e) => void submit(e)} noValidate>
      <Field id={`${p}attach-vm`} label={`Attach ${v.name} to`} hint="A running VM gets it hot-plugged." error={f.errors['attach-vm'] ?? f.formError}>
        <span class="control-row">
          <select id={`${p}attach-vm`} value={vm} onChange={(e) => setVm(e.currentTarget.value)} aria-invalid={f.errors['attach-vm'] ?? f.formError ? true : undefined} aria-describedby={describedBy(`${p}attach-vm`, true, f.errors['attach-vm'] ?? f.formError)}>
            {vms.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <button type="submit" class="primary" id={`${p}attach-submit`} disabled={busy || !vm}>
            Attach
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </span>
      </Field>
    </form>
  );
}

function ResizeForm({ volume: v, onDone, onCancel }: { readonly volume: Volume; readonly onDone: () => void; readonly onCancel: () => void }) {
  const p = `volume-${v.name}-`;
  const initial = fromBytes(v.sizeBytes);
  const [amount, setAmount] = useState(initial.amount);
  const [unit, setUnit] = useState<SizeUnit>(initial.unit);
  const [busy, setBusy] = useState(false);
  const f = useFormErrors(p, { sizeBytes: 'resize-size' }, { shrink_refused: 'resize-size', insufficient_space: 'resize-size' });
  const error = f.errors['resize-size'] ?? f.formError;
  const submit = async (e: Event) => {
    e.preventDefault();
    f.clear();
    const sizeBytes = toBytes(amount, unit);
    if (typeof sizeBytes === 'string') return f.failField('resize-size', sizeBytes);
    setBusy(true);
    try {
      await client.call('resizeVolume', { params: { id: v.id }, body: { sizeBytes } });
      onDone();
    } catch (err) {
      f.fail(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form" id={`${p}resize-form`} onSubmit={(e) => void submit(e)} noValidate>
      <Field id={`${p}resize-size`} label={`New size of ${v.name}`} hint={`Now ${formatSize(v.sizeBytes)}. Volumes only grow${v.vm ? `; ${v.vm} sees it at once` : ''}.`} error={error}>
        <span class="control-row">
          <SizeInput
            id={`${p}resize-size`}
            amount={amount}
            unit={unit}
            onChange={(a, u) => {
              setAmount(a);
              setUnit(u);
            }}
            invalid={!!error}
            describedBy={describedBy(`${p}resize-size`, true, error)}
          />
          <button type="submit" class="primary" id={`${p}resize-submit`} disabled={busy}>
            Grow
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </span>
      </Field>
    </form>
  );
}
