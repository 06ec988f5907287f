import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { relayWebSockets } from './ws-relay.js';

const servers: WebSocketServer[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
  for (const close of closers.splice(0)) await close();
});

async function serve(onConnection: (ws: WebSocket) => void): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  server.on('connection', onConnection);
  await new Promise((r) => server.once('listening', r));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A far end, and a relay in front of it that opens the far side before it accepts (as herd's does); resolves with a client of the relay. */
async function relayed(far: (ws: WebSocket) => void): Promise<WebSocket> {
  const farUrl = await serve(far);
  const relay = new WebSocketServer({ noServer: true });
  servers.push(relay);
  const http = createServer();
  http.on('upgrade', (req, socket, head) => {
    const upstream = new WebSocket(farUrl);
    upstream.once('open', () => relay.handleUpgrade(req, socket, head, (client) => relayWebSockets(client, upstream)));
  });
  http.listen(0, '127.0.0.1');
  await new Promise((r) => http.once('listening', r));
  closers.push(() => new Promise((r) => http.close(r)));
  const ws = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  // Listening from the start: a first message can come with the 101, before 'open' is awaited.
  inbox.set(ws, []);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    inbox.get(ws)!.push({ data, isBinary });
    wake.get(ws)?.();
  });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  return ws;
}

const inbox = new WeakMap<WebSocket, { data: Buffer; isBinary: boolean }[]>();
const wake = new WeakMap<WebSocket, () => void>();

/** The next message `ws` got (or gets). */
async function next(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  const queue = inbox.get(ws)!;
  while (queue.length === 0) await new Promise<void>((r) => wake.set(ws, r));
  return queue.shift()!;
}

describe('WebSocket relay', () => {
  it('keeps text as text and binary as binary, both ways', async () => {
    const ws = await relayed((far) => far.on('message', (data: Buffer, isBinary: boolean) => far.send(data, { binary: isBinary })));
    ws.send('hello');
    expect(await next(ws)).toEqual({ data: Buffer.from('hello'), isBinary: false });
    ws.send(Buffer.from([0, 255, 1]), { binary: true });
    expect(await next(ws)).toEqual({ data: Buffer.from([0, 255, 1]), isBinary: true });
    ws.close();
  });

  it("closes the caller with the far end's code and reason", async () => {
    const ws = await relayed((far) => far.on('message', () => far.close(4001, 'vm deleted')));
    const closed = new Promise<[number, string]>((r) => ws.once('close', (code: number, reason: Buffer) => r([code, reason.toString()])));
    ws.send('x');
    expect(await closed).toEqual([4001, 'vm deleted']);
  });

  it('passes on what the far end sends at once, and closes it when the caller goes without a close frame', async () => {
    let farClosed!: Promise<number>;
    const ws = await relayed((far) => {
      farClosed = new Promise((r) => far.once('close', (code: number) => r(code)));
      far.send('history');
    });
    expect((await next(ws)).data.toString()).toBe('history');
    ws.terminate();
    expect(await farClosed).toBe(1005);
  });
});
