/** Turning what the client throws into words and, for validation errors, the field they name. */
import { ConnectionError, HerdError } from '@herd/api';

/** What went wrong, in the API's own words. */
export function errorMessage(e: unknown): string {
  if (e instanceof HerdError || e instanceof ConnectionError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** The request field an API error names (`details.field`), without any `body.` prefix. */
export function errorField(e: unknown): string | undefined {
  if (!(e instanceof HerdError)) return undefined;
  const f = e.details.field;
  return typeof f === 'string' && f ? f.replace(/^\/?(body[./])?/, '').replaceAll('/', '.') : undefined;
}
