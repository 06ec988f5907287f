import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peerCredentials } from '../host/peer-credentials.js';
import { startListeners, type Listeners } from './listeners.js';

const log = pino({ level: 'silent' });
let dir: string;
let app: FastifyInstance;
let listeners: Listeners | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-listen-'));
  app = Fastify();
  await app.register(websocket);
  app.get('/who', async (request) => ({ peer: peerCredentials(request.raw.socket) ?? null, encrypted: 'encrypted' in request.raw.socket }));
  app.get('/echo', { websocket: true }, (socket) => socket.on('message', (m: Buffer) => socket.send(`echo ${m.toString()}`)));
  await app.ready();
});
afterEach(async () => {
  await app.close();
  await listeners?.close();
  listeners = undefined;
  await rm(dir, { recursive: true, force: true });
});

function get(options: RequestOptions & { ca?: string }, secure = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      // 'close' also comes when the server ends the connection mid-response.
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

const start = (listen: string, extra: { tlsCert?: string; tlsKey?: string } = {}) =>
  startListeners(app.server, { listen, socketPath: join(dir, 'herd.sock'), tlsDir: join(dir, 'tls'), log, ...extra });

describe('startListeners', () => {
  it('serves the local socket (0660, peer credentials on the request) and plain HTTP on loopback', async () => {
    listeners = await start('127.0.0.1:0');
    expect(listeners.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await stat(listeners.socketPath)).mode & 0o777).toBe(0o660);
    const local = await get({ socketPath: listeners.socketPath, path: '/who' });
    expect(JSON.parse(local.body)).toEqual({ peer: { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() }, encrypted: false });
    const tcp = await get({ host: '127.0.0.1', port: Number(new URL(listeners.url).port), path: '/who' });
    expect(JSON.parse(tcp.body)).toEqual({ peer: null, encrypted: false });
  });

  it('upgrades WebSockets on the unix socket', async () => {
    listeners = await start('unix:' + join(dir, 'api.sock'));
    expect(listeners.url).toBe(`unix:${join(dir, 'api.sock')}`);
    for (const path of [listeners.socketPath, join(dir, 'api.sock')]) {
      const ws = new WebSocket(`ws+unix://${path}:/echo`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send('hi');
      const [answer] = (await new Promise((resolve) => ws.once('message', (...a) => resolve(a)))) as [Buffer];
      expect(answer.toString()).toBe('echo hi');
      ws.close();
    }
  });

  it('serves HTTPS beyond loopback with its own CA, reused on the next start', async () => {
    listeners = await start('0.0.0.0:0');
    const port = Number(new URL(listeners.url.replace('0.0.0.0', 'localhost')).port);
    expect(listeners.url).toBe(`https://0.0.0.0:${port}`);
    const ca = await readFile(join(dir, 'tls', 'ca.crt'), 'utf8');
    expect(listeners.tlsFingerprint).toBe(new X509Certificate(ca).fingerprint256);
    for (const f of ['ca.key', 'server.key']) expect((await stat(join(dir, 'tls', f))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'tls'))).mode & 0o777).toBe(0o700);
    for (const host of ['127.0.0.1', 'localhost']) {
      const r = await get({ host, port, path: '/who', ca }, true);
      expect(JSON.parse(r.body)).toEqual({ peer: null, encrypted: true });
    }
    // Plain HTTP gets no answer from a TLS listener; an unknown CA is refused.
    await expect(get({ host: '127.0.0.1', port, path: '/who' })).rejects.toThrow();
    await expect(get({ host: '127.0.0.1', port, path: '/who' }, true)).rejects.toThrow(/self-signed|unable to verify|certificate/);

    const serverCert = await readFile(join(dir, 'tls', 'server.crt'), 'utf8');
    await listeners.close();
    listeners = await start('0.0.0.0:0');
    expect(await readFile(join(dir, 'tls', 'ca.crt'), 'utf8')).toBe(ca);
    expect(await readFile(join(dir, 'tls', 'server.crt'), 'utf8')).toBe(serverCert);
  });

  it('uses a given certificate, and refuses half of one or a mismatched key', async () => {
    listeners = await start('0.0.0.0:0');
    await listeners.close();
    const tls = join(dir, 'tls');
    listeners = await start('127.0.0.1:0', { tlsCert: join(tls, 'server.crt'), tlsKey: join(tls, 'server.key') });
    expect(listeners.url).toMatch(/^https:/);
    expect(listeners.tlsFingerprint).toBe(new X509Certificate(await readFile(join(tls, 'server.crt'))).fingerprint256);
    await listeners.close();
    listeners = undefined;
    await expect(start('127.0.0.1:0', { tlsCert: join(tls, 'server.crt') })).rejects.toThrow(/both --tls-cert and --tls-key/);
    await expect(start('127.0.0.1:0', { tlsCert: join(tls, 'server.crt'), tlsKey: join(tls, 'ca.key') })).rejects.toThrow(/is not the key of the certificate/);
    await expect(start('127.0.0.1:0', { tlsCert: join(tls, 'nope.crt'), tlsKey: join(tls, 'ca.key') })).rejects.toThrow(/cannot read --tls-cert/);
  });

  it('replaces a stale socket but never one another server answers on', async () => {
    const path = join(dir, 'herd.sock');
    const other = createServer().listen(path);
    await new Promise((r) => other.once('listening', r));
    await expect(start('127.0.0.1:0')).rejects.toThrow(/a server already answers on/);
    // A socket file nobody serves (a daemon killed with SIGKILL leaves one).
    other.close();
    const stale = createServer().listen(path);
    await new Promise((r) => stale.once('listening', r));
    (stale as unknown as { _handle: { close(): void } })._handle.close();
    listeners = await start('127.0.0.1:0');
    expect((await get({ socketPath: path, path: '/who' })).status).toBe(200);
  });

  it('closes connections that stay open (event streams) when closed', async () => {
    await app.close();
    app = Fastify();
    app.get('/stream', (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write('data: 1\n\n');
    });
    await app.ready();
    listeners = await start('127.0.0.1:0');
    const ended = get({ socketPath: listeners.socketPath, path: '/stream' });
    await new Promise((r) => setTimeout(r, 100));
    await listeners.close();
    listeners = undefined;
    expect(await ended).toEqual({ status: 200, body: 'data: 1\n\n' });
  });
});
