import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { describe, expect, it } from 'vitest';
import { webSocketUrl } from './websocket-url.js';

describe('webSocketUrl', () => {
  it("writes unix-socket URLs in ws's form and leaves ws:// and wss:// alone", () => {
    expect(webSocketUrl('unix:/run/h.sock/api/v1/vms/a/console?ticket=t', '/run/h.sock')).toBe('ws+unix:/run/h.sock:/api/v1/vms/a/console?ticket=t');
    expect(webSocketUrl('wss://h:8443/api/v1/vms/a/console', undefined)).toBe('wss://h:8443/api/v1/vms/a/console');
  });

  it('opens a WebSocket on a unix socket, with its path, query and headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-ws-'));
    const server = createServer().listen(join(dir, 'h.sock'));
    const wss = new WebSocketServer({ server });
    try {
      await once(server, 'listening');
      const seen = new Promise<[string | undefined, string | undefined]>((resolve) => wss.once('connection', (_ws, req) => resolve([req.url, req.headers.authorization])));
      const base = `unix:${join(dir, 'h.sock')}`;
      const ws = new WebSocket(webSocketUrl(`${base}/api/v1/vms/a/console?ticket=t`, join(dir, 'h.sock')), { headers: { authorization: 'Bearer x' } });
      await once(ws, 'open');
      expect(await seen).toEqual(['/api/v1/vms/a/console?ticket=t', 'Bearer x']);
      ws.close();
    } finally {
      wss.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
