/** A size typed as a number and a unit: inputs `${id}` (the number) and `${id}-unit`. */
import { sizeUnits, type SizeUnit } from '../lib/size-units.js';

/** Props of {@link SizeInput}. */
export interface SizeInputProps {
  readonly id: string;
  readonly amount: string;
  readonly unit: SizeUnit;
  readonly onChange: (amount: string, unit: SizeUnit) => void;
  readonly invalid?: boolean;
  readonly describedBy?: string | undefined;
  /** The accessible name of the number input, when no `<label for>` names it. */
  readonly ariaLabel?: string;
}

/** A number and a unit select, side by side. */
export function SizeInput({ id, amount, unit, onChange, invalid, describedBy, ariaLabel }: SizeInputProps) {
  return (
    <span class="size-input">
      <input
        id={id}
        type="number"
        min={0}
        step="any"
        inputMode="decimal"
        value={amount}
        onInput={(e) => onChange(e.currentTarget.value, unit)}
        aria-invalid={invalid ? true : undefined}
        aria-describedby={describedBy}
        aria-label={ariaLabel}
      />
      <select id={`${id}-unit`} aria-label="Unit" value={unit} onChange={(e) => onChange(amount, e.currentTarget.value as SizeUnit)}>
        {sizeUnits.map((u) => (
          <option key={u.label} value={u.label}>
            {u.label}
          </option>
        ))}
      </select>
    </span>
  );
}
