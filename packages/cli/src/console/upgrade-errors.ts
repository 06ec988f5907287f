/** Turns failures of the console's WebSocket (refused handshakes, error closes) into the API's own errors. */
import type { IncomingMessage } from 'node:http';
import { ConnectionError, HerdError, isErrorCode, type ErrorCode } from '@herd/api';

/**
 * Reads a non-101 answer to the upgrade request (a 404 for an unknown VM, a 409, ...) and returns
 * the HerdError its body carries, as the HTTP client would have.
 */
export async function errorFromResponse(res: IncomingMessage): Promise<HerdError> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const status = res.statusCode ?? 0;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = body.error;
    if (e && isErrorCode(e.code) && typeof e.message === 'string')
      return new HerdError(e.code, (e.details ?? {}) as Record<string, unknown>, e.message);
  } catch {
    // Not JSON: fall through to the generic message.
  }
  return new HerdError('internal', { status }, `the daemon answered ${status} to the console connection: ${text.slice(0, 200)}`);
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Maps a socket-level failure to a ConnectionError for `baseUrl`; leaves other errors as they are. */
export function connectionErrorOf(error: Error, baseUrl: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  return code && networkCodes.has(code) ? new ConnectionError(baseUrl, error) : error;
}

/** Catalogue codes for the HTTP statuses a console close code may carry. */
const codeByStatus: Readonly<Record<number, ErrorCode>> = {
  400: 'bad_request',
  404: 'not_found',
  409: 'action_not_allowed',
  422: 'validation_failed',
};

/**
 * The error carried by a WebSocket close code in the 4000-4999 range, which the daemon uses as
 * 4000 + an HTTP status (4404: the VM does not exist), with the message as the close reason.
 * Returns undefined for ordinary closes.
 */
export function errorFromClose(code: number, reason: string): HerdError | undefined {
  if (code < 4000 || code > 4999) return undefined;
  const status = code - 4000;
  const message = reason || `the daemon closed the console with code ${code}`;
  return new HerdError(codeByStatus[status] ?? 'internal', { status }, message);
}
