/**
 * `useFormErrors`: where an API error goes in a form. A validation error names its field
 * (`details.field`) and is shown next to that input, which gets focus; some codes belong to a
 * field without naming it (not enough space: the size); anything else is the form's own error.
 */
import { HerdError } from '@herd/api';
import { useState } from 'preact/hooks';
import { errorField, errorMessage } from './errors.js';

/** The errors of one form, and how to set them from what the client threw. */
export interface FormErrors {
  /** Error text by input key. */
  readonly errors: Readonly<Record<string, string>>;
  /** An error that belongs to no field. */
  readonly formError: string | undefined;
  readonly clear: () => void;
  /** Places the error thrown by a request. */
  readonly fail: (e: unknown) => void;
  /** Shows `message` next to input `key` (a check made before sending). */
  readonly failField: (key: string, message: string) => void;
}

/**
 * Errors of a form whose inputs have ids `${prefix}${key}`. `fields` maps API field names to
 * input keys, `codes` maps error codes to the input they concern.
 */
export function useFormErrors(prefix: string, fields: Readonly<Record<string, string>>, codes: Readonly<Record<string, string>> = {}): FormErrors {
  const [errors, setErrors] = useState<Readonly<Record<string, string>>>({});
  const [formError, setFormError] = useState<string | undefined>(undefined);
  const failField = (key: string, message: string) => {
    setErrors({ [key]: message });
    setFormError(undefined);
    document.getElementById(`${prefix}${key}`)?.focus();
  };
  return {
    errors,
    formError,
    clear: () => {
      setErrors({});
      setFormError(undefined);
    },
    fail: (e) => {
      const key = fields[errorField(e) ?? ''] ?? (e instanceof HerdError ? codes[e.code] : undefined);
      if (key) failField(key, errorMessage(e));
      else {
        setErrors({});
        setFormError(errorMessage(e));
      }
    },
    failField,
  };
}
