/**
 * `fetch` on node:http and node:https, for what the global fetch cannot do: daemons on a unix
 * socket (`unix:/var/lib/herd/herd.sock`) and HTTPS with a pinned CA (herd's own). It answers
 * real `Response` objects whose bodies stream (server-sent events arrive as they are sent).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/** Where requests go and what to trust. */
export interface TransportTarget {
  /** The daemon's base URL: http(s)://HOST:PORT or unix:PATH. */
  readonly url: string;
  /** PEM certificate(s) to trust for https instead of the system's CAs. */
  readonly ca?: string;
}

/** Statuses whose responses have no body (the Response constructor refuses one). */
const nullBodyStatuses = new Set([101, 204, 205, 304]);

/**
 * Makes a fetch for `target`. For a unix socket, request URLs are the base URL followed by the
 * path (`unix:/run/herd.sock/api/v1/vms`), as HerdClient builds them. Only string bodies are
 * sent, which is all HerdClient sends. Network and TLS failures reject, as fetch's do.
 */
export function transportFetch(target: TransportTarget): typeof fetch {
  const socketPath = target.url.startsWith('unix:') ? target.url.slice('unix:'.length).replace(/\/+$/, '') : undefined;
  const secure = target.url.startsWith('https:');
  // One agent per CLI run keeps connections alive across the requests of `top` or `wait`.
  const agent = secure ? new HttpsAgent({ keepAlive: true, ...(target.ca !== undefined && { ca: target.ca }) }) : new HttpAgent({ keepAlive: true });

  return (input, init = {}) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const method = init.method ?? 'GET';
    let where: { socketPath: string; path: string } | { host: string; port: string; path: string };
    if (socketPath !== undefined) {
      const prefix = `unix:${socketPath}`;
      if (!href.startsWith(prefix)) return Promise.reject(new TypeError(`${href} is not on the socket ${socketPath}`));
      where = { socketPath, path: href.slice(prefix.length) || '/' };
      headers.host ??= 'localhost';
    } else {
      const url = new URL(href);
      where = { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: url.pathname + url.search };
    }
    if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') return Promise.reject(new TypeError('only string bodies are supported'));
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)({ ...where, method, headers, agent, ...(init.signal && { signal: init.signal }) }, (res) => resolve(toResponse(res, method)));
      req.on('error', (e) => reject(explain(e)));
      req.end(init.body ?? undefined);
    });
  };
}

function toResponse(res: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const status = res.statusCode ?? 502;
  const empty = nullBodyStatuses.has(status) || method === 'HEAD';
  if (empty) res.resume();
  return new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage ?? '', headers });
}

/** TLS errors whose fix is to check and pin the daemon's certificate. */
const untrusted = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_SIGNATURE_FAILURE']);

/** Adds what to do to failures people can fix. */
function explain(e: Error): Error {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (untrusted.has(code))
    return new Error(`its TLS certificate is not trusted here (${e.message}); add the daemon with \`herd remote add NAME URL\`, which shows the certificate's fingerprint to check and pins it`);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new Error(`its TLS certificate is for other names (${e.message}); use a host name or address the certificate lists`);
  if (code === 'EACCES') return new Error(`${e.message}: no permission to use the socket; the local socket is root's (run herd as root, or use a remote with a token)`);
  return e;
}
