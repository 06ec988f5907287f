import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HerdError } from '@herd/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadToFile, type DownloadProgress } from './download.js';

const body = randomBytes(1024 * 1024 + 7);
const bodySha = createHash('sha256').update(body).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'herd-download-'));
let server: Server;
let base = '';

/** Sends `data` in 64 KiB pieces, one per event-loop turn, so the client sees many chunks. */
function sendSlowly(res: ServerResponse, data: Buffer, end = true): void {
  let at = 0;
  const next = () => {
    if (at >= data.length) {
      if (end) res.end();
      return;
    }
    res.write(data.subarray(at, at + 65536));
    at += 65536;
    setImmediate(next);
  };
  next();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const hops = Number(url.searchParams.get('hops') ?? 0);
    switch (url.pathname) {
      case '/image':
        res.writeHead(200, { 'content-length': body.length });
        return sendSlowly(res, body);
      case '/unsized':
        res.writeHead(200);
        return sendSlowly(res, body);
      case '/redirect':
        res.writeHead(hops % 2 ? 301 : 307, { location: hops > 1 ? `/redirect?hops=${hops - 1}` : `${base}/image` });
        return res.end('moved');
      case '/missing':
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('no such image');
      case '/ftp':
        res.writeHead(302, { location: 'ftp://example.com/image' });
        return res.end();
      case '/hang':
        return; // never answers
      case '/stall':
        res.writeHead(200, { 'content-length': body.length });
        return sendSlowly(res, body.subarray(0, 200_000), false);
      case '/short':
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 1000));
        return setTimeout(() => res.socket?.destroy(), 20);
      default:
        res.writeHead(500);
        return res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  // Every test leaves either its one finished download or nothing.
  for (const f of readdirSync(dir)) rmSync(join(dir, f));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a download expected to fail and returns its HerdError, checking that no file is left. */
async function failure(url: string, options: Parameters<typeof downloadToFile>[2] = {}): Promise<HerdError> {
  const target = join(dir, 'out');
  const e = await downloadToFile(url, target, options).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HerdError);
  expect(readdirSync(dir)).toEqual([]);
  return e as HerdError;
}

describe('downloadToFile', () => {
  it('saves the body, gives its sha256, and reports progress with the total', async () => {
    const target = join(dir, 'out');
    const seen: DownloadProgress[] = [];
    const done = await downloadToFile(`${base}/image`, target, { sha256: bodySha.toUpperCase(), progressIntervalMs: 0, onProgress: (p) => seen.push(p) });
    expect(done).toEqual({ bytes: body.length, sha256: bodySha });
    expect(readFileSync(target).equals(body)).toBe(true);
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.every((p) => p.total === body.length)).toBe(true);
    expect(seen.at(-1)?.bytes).toBe(body.length);
    const bytes = seen.map((p) => p.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
  });

  it('rate-limits progress reports but always reports the end', async () => {
    const seen: DownloadProgress[] = [];
    await downloadToFile(`${base}/image`, join(dir, 'out'), { progressIntervalMs: 60_000, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.bytes)).toEqual([expect.any(Number), body.length]);
  });

  it('reports progress without a total when the server sends no Content-Length', async () => {
    const seen: DownloadProgress[] = [];
    const done = await downloadToFile(`${base}/unsized`, join(dir, 'out'), { onProgress: (p) => seen.push(p) });
    expect(done.sha256).toBe(bodySha);
    expect(seen.at(-1)).toEqual({ bytes: body.length, total: undefined });
  });

  it('follows redirects, relative and absolute, up to the limit', async () => {
    const done = await downloadToFile(`${base}/redirect?hops=5`, join(dir, 'out'), { sha256: bodySha });
    expect(done.bytes).toBe(body.length);
    const e = await failure(`${base}/redirect?hops=6`);
    expect(e.code).toBe('download_failed');
    expect(e.message).toContain('redirected more than 5 times');
  });

  it('fails with the status when the server refuses, naming the URL', async () => {
    const e = await failure(`${base}/missing`);
    expect(e).toMatchObject({ code: 'download_failed', status: 502, details: { url: `${base}/missing`, status: 404, field: 'url' } });
    expect(e.message).toBe(
      `cannot download '${base}/missing': the server answered 404 Not Found; check that the URL is right and that the daemon host can reach it, then import again`,
    );
  });

  it('refuses a redirect to a scheme other than http and https', async () => {
    const e = await failure(`${base}/ftp`);
    expect(e.message).toContain('only http and https URLs can be downloaded (redirected to ftp://example.com/image)');
  });

  it('fails when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await failure(`http://127.0.0.1:${port}/image`);
    expect(e.code).toBe('download_failed');
    expect(e.message).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('times out on a server that never answers', async () => {
    const started = Date.now();
    const e = await failure(`${base}/hang`, { idleTimeoutMs: 300 });
    expect(e.message).toContain('nothing arrived for 0.3 s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out on a server that stops sending halfway, and removes the partial file', async () => {
    const seen: DownloadProgress[] = [];
    const e = await failure(`${base}/stall`, { idleTimeoutMs: 300, progressIntervalMs: 0, onProgress: (p) => seen.push(p) });
    expect(e.message).toContain('nothing arrived for 0.3 s');
    expect(seen.at(-1)?.bytes).toBe(200_000);
  });

  it('fails when the connection breaks before the announced length', async () => {
    const e = await failure(`${base}/short`);
    expect(e.message).toContain(`the connection broke after 1000 of ${body.length} bytes`);
  });

  it('throws a failure to write the file as it is, not as a download failure', async () => {
    const e = await downloadToFile(`${base}/image`, join(dir, 'no-such-dir', 'out')).catch((x: unknown) => x);
    expect(e).not.toBeInstanceOf(HerdError);
    expect(e).toMatchObject({ code: 'ENOENT' });
  });

  it('fails on a sha256 mismatch and keeps nothing', async () => {
    const wrong = '0'.repeat(64);
    const e = await failure(`${base}/image`, { sha256: wrong });
    expect(e).toMatchObject({ code: 'checksum_mismatch', status: 422, details: { expected: wrong, actual: bodySha, source: `${base}/image` } });
    expect(e.message).toContain('nothing was kept');
  });
});
