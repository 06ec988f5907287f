/**
 * One HTTP(S) POST with a deadline, on node:http and node:https. The daemon runs without
 * WebAssembly (see main.ts), and Node's fetch (undici) needs it for its HTTP parser, so webhook
 * delivery cannot use fetch:
 *
 *     ReferenceError: WebAssembly is not defined
 *         at lazyllhttp (node:internal/deps/undici/undici:5969:9)
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What the receiver answered. */
export interface PostResult {
  readonly status: number;
}

/** A POST function; tests and the dispatcher take one so that the transport can be swapped. */
export type Post = (url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; signal: AbortSignal }) => Promise<PostResult>;

/** POSTs `body` to `url`; rejects on a network error, on `signal`, or after `timeoutMs` without a full answer. */
export const httpPost: Post = (url, headers, body, { timeoutMs, signal }) =>
  new Promise<PostResult>((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal }, (res) => {
      res.resume(); // the body is not needed; drain it so the socket is freed
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { name: 'TimeoutError' })), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(body);
  });
