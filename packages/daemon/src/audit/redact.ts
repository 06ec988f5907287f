/**
 * What of a request goes into the audit log: its query and body, with the values of secret-looking
 * keys replaced and huge values cut, so that the log can be read by admins without leaking
 * credentials and cannot be blown up by one request.
 */

/** Keys whose values are never recorded. */
export const secretKey = /secret|password|passphrase|token|key/i;

/** What replaces a secret value. */
export const redacted = '[redacted]';

/** Strings longer than this are cut. */
export const maxString = 1024;
/** Arrays longer than this are cut. */
export const maxItems = 100;
/** Objects nested deeper than this are summarised. */
export const maxDepth = 8;

/** The params of an audit record: the request's query and body, redacted and bounded. Pure. */
export function redactParams(query: unknown, body: unknown): { query: unknown; body: unknown } {
  return { query: redactValue(query ?? null, 0), body: redactValue(body ?? null, 0) };
}

/** `value` with secrets replaced and sizes bounded, at nesting `depth`. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > maxString ? `${value.slice(0, maxString)}…[${value.length - maxString} more characters]` : value;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'object') return String(value);
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (depth >= maxDepth) return '[too deep]';
  if (Array.isArray(value)) {
    const items = value.slice(0, maxItems).map((v) => redactValue(v, depth + 1));
    if (value.length > maxItems) items.push(`[${value.length - maxItems} more items]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretKey.test(k) ? redacted : redactValue(v, depth + 1);
  return out;
}
