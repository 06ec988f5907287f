import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../test-support/test-certificates.js';
import { transportFetch } from './node-fetch.js';

let dir: string;
let server: Server | undefined;
let tls: TestCertificates;

beforeAll(() => {
  tls = makeTestCertificates();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'herd-fetch-'));
});
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** What the test server saw of the last request. */
let seen: { method?: string; url?: string; headers?: Record<string, unknown>; body?: string } = {};

const echo: RequestListener = (req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (d: string) => (body += d));
  req.on('end', () => {
    seen = { method: req.method!, url: req.url!, headers: req.headers, body };
    if (req.url === '/empty') return void res.writeHead(204).end();
    res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
    res.end(JSON.stringify({ ok: true }));
  });
};

async function serveUnix(handler: RequestListener): Promise<string> {
  const path = join(dir, 'h.sock');
  server = createServer(handler).listen(path);
  await once(server, 'listening');
  return `unix:${path}`;
}

describe('transportFetch on a unix socket', () => {
  it('sends method, headers and body, and answers a Response', async () => {
    const base = await serveUnix(echo);
    const fetch = transportFetch({ url: base });
    const res = await fetch(`${base}/api/v1/vms?x=1`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res).toBeInstanceOf(Response);
    expect([res.status, res.ok, res.headers.get('set-cookie')]).toEqual([201, true, 'a=1, b=2']);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen).toMatchObject({ method: 'POST', url: '/api/v1/vms?x=1', body: '{"a":1}', headers: { authorization: 'Bearer t', host: 'localhost' } });
  });

  it('answers bodiless statuses with a null body', async () => {
    const base = await serveUnix(echo);
    const res = await transportFetch({ url: base })(`${base}/empty`);
    expect([res.status, res.body]).toEqual([204, null]);
  });

  it('streams the body as it arrives (server-sent events), and stops on abort', async () => {
    let release!: () => void;
    const more = new Promise<void>((r) => (release = r));
    const base = await serveUnix((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      void more.then(() => res.write('data: 2\n\n'));
    });
    const abort = new AbortController();
    const res = await transportFetch({ url: base })(`${base}/events`, { signal: abort.signal });
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    expect(text.decode((await reader.read()).value)).toBe('data: 1\n\n');
    release();
    expect(text.decode((await reader.read()).value)).toBe('data: 2\n\n');
    abort.abort();
    await expect(reader.read()).rejects.toThrow();
  });

  it('rejects when nobody serves the socket, and for URLs on another socket', async () => {
    const fetch = transportFetch({ url: `unix:${dir}/none.sock` });
    await expect(fetch(`unix:${dir}/none.sock/api`)).rejects.toThrow(/ENOENT/);
    await expect(fetch('unix:/elsewhere.sock/api')).rejects.toThrow(/is not on the socket/);
  });
});

describe('transportFetch over https', () => {
  async function serveHttps(): Promise<string> {
    server = createHttpsServer({ key: tls.key, cert: tls.cert }, echo).listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('trusts the pinned CA', async () => {
    const base = await serveHttps();
    const res = await transportFetch({ url: base, ca: tls.caCert })(`${base}/x`);
    expect(res.status).toBe(201);
  });

  it('refuses an unpinned certificate and says how to pin it', async () => {
    const base = await serveHttps();
    await expect(transportFetch({ url: base })(`${base}/x`)).rejects.toThrow(/its TLS certificate is not trusted here .*herd remote add NAME URL/);
  });

  it('refuses a certificate for another name', async () => {
    const base = await serveHttps();
    await expect(transportFetch({ url: base.replace('127.0.0.1', '[::ffff:127.0.0.1]'), ca: tls.caCert })(`${base.replace('127.0.0.1', '[::ffff:127.0.0.1]')}/x`)).rejects.toThrow(/for other names/);
  });
});
