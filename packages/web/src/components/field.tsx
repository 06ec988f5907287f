/**
 * A labelled form field with its hint and its error. The error text comes from the API's
 * error catalogue (or the size parser) and is tied to the input with aria-describedby.
 */
import type { ComponentChildren } from 'preact';

/** Props of {@link Field}. */
export interface FieldProps {
  /** The id of the input inside; the error gets `${id}-error`, the hint `${id}-hint`. */
  readonly id: string;
  readonly label: string;
  readonly hint?: string;
  readonly error?: string | undefined;
  /** The input; it should carry `id`, and {@link describedBy} for aria-describedby. */
  readonly children: ComponentChildren;
}

/** The aria-describedby value for the input of a field. */
export function describedBy(id: string, hint: boolean, error: string | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids || undefined;
}

/** A field: label, input, hint and error. */
export function Field({ id, label, hint, error, children }: FieldProps) {
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <small class="hint" id={`${id}-hint`}>
          {hint}
        </small>
      )}
      {error && (
        <small class="field-error" id={`${id}-error`} role="alert">
          {error}
        </small>
      )}
    </div>
  );
}
