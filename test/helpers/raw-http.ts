/**
 * Raw HTTP requests for the fuzz test: the path, headers (repeated ones too) and body go out
 * exactly as given, which fetch() would normalise or refuse.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** A request as it goes on the wire. */
export interface RawRequest {
  readonly method: string;
  /** Path and query, already encoded. */
  readonly path: string;
  /** Header name/value pairs, in order; a name may repeat. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string;
}

/** What came back: for an event stream or a WebSocket upgrade, only the status and headers. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/**
 * Sends `req` to the server at `base` (http://host:port), with Host and Content-Length headers;
 * rejects when no answer comes within `timeoutMs`. A kept-alive connection the server closed
 * just before it was reused is retried once on a new one, as Node's documentation advises.
 */
export async function sendRaw(base: string, req: RawRequest, timeoutMs: number): Promise<RawResponse> {
  // An upgrade request's connection ends with it (or becomes a WebSocket): never reuse one.
  if (req.headers.some(([k]) => k.toLowerCase() === 'upgrade')) return sendOnce(base, req, timeoutMs, false);
  try {
    return await sendOnce(base, req, timeoutMs, true);
  } catch (e) {
    if (!(e as { reused?: boolean }).reused) throw e;
    return sendOnce(base, req, timeoutMs, false);
  }
}

function sendOnce(base: string, req: RawRequest, timeoutMs: number, reuse: boolean): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    // Headers given as a list go out as they are: Host and Content-Length are added here.
    const length = req.body === undefined ? [] : [['content-length', String(Buffer.byteLength(req.body))]];
    const headers = [['host', url.host], ...req.headers, ...length].flat();
    const r = request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: reuse ? agent : false });
    const timer = setTimeout(() => {
      r.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (res: RawResponse) => {
      clearTimeout(timer);
      resolve(res);
    };
    r.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(Object.assign(e, { reused: r.reusedSocket && (e.code === 'ECONNRESET' || e.message === 'socket hang up') }));
    });
    r.on('upgrade', (res, socket) => {
      socket.destroy();
      done({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    r.on('response', (res) => {
      if (String(res.headers['content-type']).includes('text/event-stream')) {
        r.destroy();
        done({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      // A connection closed in the middle of the answer.
      res.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(Object.assign(e, { code: e.code ?? 'ECONNRESET' }));
      });
    });
    r.end(req.body);
  });
}

/** Closes the connections still open. */
export function closeRawConnections(): void {
  agent.destroy();
}
