/** Turns failures of the console's WebSocket handshake into the API's own errors. */
import type { IncomingMessage } from 'node:http';
import { ConnectionError, HerdError, isErrorCode } from '@herd/api';

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
