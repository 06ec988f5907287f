/**
 * Downloading an image over http or https into a file. It uses node:http and node:https, not
 * fetch(): the daemon runs in V8's lite mode, without the WebAssembly that fetch() needs. The
 * SHA-256 is computed as the bytes arrive, so a checksum costs no second read of the file, and
 * a download that fails for any reason leaves no file behind.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { HerdError } from '@herd/api';
import { herdVersion } from '../version.js';
import { ensureSha256 } from './checksum.js';

/** How far a download has got. `total` is the Content-Length, when the server sent one. */
export interface DownloadProgress {
  readonly bytes: number;
  readonly total: number | undefined;
}

/** Options for {@link downloadToFile}. */
export interface DownloadOptions {
  /** Redirects followed before giving up. Default: 5. */
  readonly maxRedirects?: number;
  /** Give up when connecting, or waiting for the next bytes, takes longer than this. Default: 30 s. */
  readonly idleTimeoutMs?: number;
  /** The expected SHA-256 (hex); when the bytes differ, the download fails with checksum_mismatch. */
  readonly sha256?: string;
  /** Called when the first bytes arrive, then at most every `progressIntervalMs`, and once at the end. */
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Least time between two progress calls. Default: 250 ms. */
  readonly progressIntervalMs?: number;
}

/** What was downloaded. */
export interface Downloaded {
  readonly bytes: number;
  /** SHA-256 of the bytes, lower-case hex. */
  readonly sha256: string;
}

const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads `url` (http or https) into `target`, a path the caller owns (it is overwritten),
 * following up to `maxRedirects` redirects. Throws download_failed (with the HTTP status when
 * the server gave one) or checksum_mismatch; a failed file write is thrown as it is. On every
 * failure `target` is removed.
 */
export async function downloadToFile(url: string, target: string, options: DownloadOptions = {}): Promise<Downloaded> {
  const failed = (reason: string, status?: number) =>
    new HerdError('download_failed', { url, reason, field: 'url', ...(status !== undefined && { status }) });
  try {
    const first = parseUrl(url, undefined, () => failed('it is not a URL'));
    const exchange = await openFollowingRedirects(first, options.maxRedirects ?? 5, options.idleTimeoutMs ?? 30_000, failed);
    const done = await saveBody(exchange, target, options, failed);
    if (options.sha256) ensureSha256(url, options.sha256, done.sha256);
    return done;
  } catch (e) {
    await rm(target, { force: true });
    throw e;
  }
}

type Failed = (reason: string, status?: number) => HerdError;

/** A response being received, and the error that ended it early, if one did. */
interface Exchange {
  readonly res: IncomingMessage;
  readonly abortedBy: () => HerdError | undefined;
}

async function openFollowingRedirects(first: URL, maxRedirects: number, timeoutMs: number, failed: Failed): Promise<Exchange> {
  let url = first;
  for (let redirects = 0; ; redirects++) {
    const via = redirects ? ` (redirected to ${url.href})` : '';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw failed(`only http and https URLs can be downloaded${via}`);
    const exchange = await get(url, timeoutMs, via, failed);
    const { res } = exchange;
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return exchange;
    // The body of a refusal or a redirect is not wanted; destroying frees the socket at once.
    res.destroy();
    if (!redirectStatuses.has(status)) throw failed(`the server answered ${status} ${res.statusMessage ?? ''}`.trimEnd() + via, status);
    const location = res.headers.location;
    if (!location) throw failed(`the server answered ${status} without saying where to${via}`, status);
    if (redirects === maxRedirects) throw failed(`the server redirected more than ${maxRedirects} times${via}`, status);
    url = parseUrl(location, url, () => failed(`the server redirected to '${location}', which is not a URL${via}`, status));
  }
}

function parseUrl(text: string, base: URL | undefined, invalid: () => HerdError): URL {
  try {
    return new URL(text, base);
  } catch {
    throw invalid();
  }
}

function get(url: URL, timeoutMs: number, via: string, failed: Failed): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let abortedBy: HerdError | undefined;
    const client = url.protocol === 'https:' ? https : http;
    // `timeout` is the socket's idle timeout: it covers connecting and every wait for bytes.
    const req = client.get(url, { timeout: timeoutMs, headers: { 'user-agent': `herd/${herdVersion}`, accept: '*/*' } });
    req.on('timeout', () => {
      abortedBy = failed(`nothing arrived for ${timeoutMs / 1000} s${via}`);
      req.destroy(abortedBy);
    });
    // Errors after the response arrived also surface on the response stream, where saveBody reads them.
    req.on('error', (e) => reject(abortedBy ?? failed(`${e.message}${via}`)));
    req.on('response', (res) => resolve({ res, abortedBy: () => abortedBy }));
  });
}

async function saveBody(exchange: Exchange, target: string, options: DownloadOptions, failed: Failed): Promise<Downloaded> {
  const { res } = exchange;
  const length = res.headers['content-length'];
  const total = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  const interval = options.progressIntervalMs ?? 250;
  const hash = createHash('sha256');
  let bytes = 0;
  let reportedAt = -Infinity;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - reportedAt < interval)) return;
    reportedAt = now;
    options.onProgress({ bytes, total });
  };
  // The response is read by the generator, not by pipeline(), so that an error of the network
  // (caught here) and an error writing the file (thrown as it is) cannot be mistaken for each other.
  let broken: unknown;
  async function* received(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
        report(false);
        yield chunk;
      }
    } catch (e) {
      broken = e;
      throw e;
    }
  }
  try {
    await pipeline(received, createWriteStream(target));
  } catch (e) {
    if (broken === undefined) throw e;
    const got = total === undefined ? `${bytes} bytes` : `${bytes} of ${total} bytes`;
    throw exchange.abortedBy() ?? failed(`the connection broke after ${got} (${broken instanceof Error ? broken.message : String(broken)})`);
  }
  if (total !== undefined && bytes !== total) throw failed(`the server sent ${bytes} bytes but announced ${total}`);
  report(true);
  return { bytes, sha256: hash.digest('hex') };
}
