/**
 * A button for something that cannot be undone: the first click asks, in words that say what
 * will happen, and only `${id}-confirm` does it (`${id}-cancel` backs out).
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/** Props of {@link ConfirmButton}. */
export interface ConfirmButtonProps {
  readonly id: string;
  readonly label: string;
  /** Accessible name of the first button (e.g. "Delete volume data1"). */
  readonly ariaLabel: string;
  /** What the confirm step says will happen. */
  readonly question: ComponentChildren;
  readonly confirmLabel?: string;
  readonly disabled?: boolean;
  readonly danger?: boolean;
  readonly onConfirm: () => void;
}

/** A two-step button. */
export function ConfirmButton({ id, label, ariaLabel, question, confirmLabel = label, disabled, danger = true, onConfirm }: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" id={id} class={danger ? 'danger' : ''} disabled={disabled} aria-label={ariaLabel} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <span class="confirm" role="group" aria-label={`Confirm: ${ariaLabel}`}>
      <span>{question}</span>
      <button
        type="button"
        class={danger ? 'danger primary' : 'primary'}
        id={`${id}-confirm`}
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" id={`${id}-cancel`} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
