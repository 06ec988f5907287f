/**
 * The networks a new VM gets a NIC on: one checkbox per network (`${id}-${network}`). The group
 * is `id`, so an API error about the NICs can take the focus there.
 */
import { describedBy } from '../field.js';

/** Props of {@link NetworkPicker}. */
export interface NetworkPickerProps {
  readonly id: string;
  readonly networks: readonly string[];
  readonly chosen: readonly string[];
  readonly onChange: (chosen: readonly string[]) => void;
  readonly error?: string | undefined;
}

/** A checkbox per network; the order of `chosen` is the order of the VM's NICs. */
export function NetworkPicker({ id, networks, chosen, onChange, error }: NetworkPickerProps) {
  const toggle = (n: string, on: boolean) => onChange(on ? [...chosen.filter((c) => c !== n), n] : chosen.filter((c) => c !== n));
  return (
    <fieldset class={`field network-picker${error ? ' has-error' : ''}`} id={id} tabIndex={-1} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, true, error)}>
      <legend>Networks</legend>
      <span class="control-row">
        {networks.map((n) => (
          <label class="inline" key={n}>
            <input type="checkbox" id={`${id}-${n}`} checked={chosen.includes(n)} onChange={(e) => toggle(n, e.currentTarget.checked)} /> {n}
          </label>
        ))}
      </span>
      <small class="hint" id={`${id}-hint`}>
        A NIC on each network ticked, in the order ticked; none ticked: no NIC.
      </small>
      {error && (
        <small class="field-error" id={`${id}-error`} role="alert">
          {error}
        </small>
      )}
    </fieldset>
  );
}
