import type { Duplex } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { closedPort } from '../test-support/ports.js';

let daemon: FakeDaemon | undefined;
let wss: WebSocketServer | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  for (const client of wss?.clients ?? []) client.terminate();
  wss?.close();
  await daemon?.close();
  daemon = wss = undefined;
});

/** What the fake console saw. */
interface Seen {
  input: Buffer[];
  binary: boolean[];
}

/**
 * A fake daemon whose console for `web1` replays a banner (as a text frame, like recent output)
 * and echoes every input frame back as a binary frame. `gone`'s console closes with 4404 at once;
 * other VMs' consoles answer the upgrade with a 404.
 */
async function echoConsole(): Promise<{ daemon: FakeDaemon; seen: Seen }> {
  const d = await FakeDaemon.start({
    'GET /api/v1/vms/web1/console': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`log of the last ${req.query.get('bytes') ?? 'default'} bytes\n`);
    },
    // The console opens with a ticket, asked for first (the real daemon checks it before the upgrade).
    'POST /api/v1/vms/web1/console-tickets': (_q, res) => sendJson(res, 201, { ticket: 'ticket-web1', expiresAt: new Date().toISOString() }),
    'POST /api/v1/vms/gone/console-tickets': (_q, res) => sendJson(res, 201, { ticket: 'ticket-gone', expiresAt: new Date().toISOString() }),
    'POST /api/v1/vms/ghost/console-tickets': (_q, res) => sendError(res, 'not_found', { kind: 'vm', name: 'ghost' }),
  });
  const seen: Seen = { input: [], binary: [] };
  const server = new WebSocketServer({ noServer: true });
  d.server.on('upgrade', (req, socket: Duplex, head) => {
    if (req.url === '/api/v1/vms/web1/console?ticket=ticket-web1') {
      server.handleUpgrade(req, socket, head, (ws) => {
        ws.send('tiny login: ready\r\n');
        ws.on('message', (data: Buffer, isBinary) => {
          seen.input.push(data);
          seen.binary.push(isBinary);
          ws.send(data, { binary: true });
        });
      });
      return;
    }
    if (req.url === '/api/v1/vms/gone/console?ticket=ticket-gone') {
      // What the daemon does for an unknown VM: accept, then close with 4000 + HTTP status.
      server.handleUpgrade(req, socket, head, (ws) => ws.close(4404, "vm 'gone' does not exist; list them with `herd vm list`"));
      return;
    }
    const body = JSON.stringify({
      error: { code: 'not_found', message: "vm 'ghost' does not exist; list them with `herd vm list`", details: {} },
    });
    socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
  daemon = d;
  wss = server;
  return { daemon: d, seen };
}

describe('herd vm console (stdin not a terminal)', () => {
  it('sends stdin to the guest as binary, prints what comes back, and exits once quiet', async () => {
    const { daemon: d, seen } = await echoConsole();
    const started = Date.now();
    const r = await runCli(['vm', 'console', 'web1', '--quiet-ms', '300'], { url: d.url, input: 'echo hi\n' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('tiny login: ready\r\necho hi\n');
    expect(Buffer.concat(seen.input).toString()).toBe('echo hi\n');
    expect(seen.binary.every(Boolean)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('with --until, exits as soon as the guest prints the text, not after the quiet time', async () => {
    const { daemon: d } = await echoConsole();
    const started = Date.now();
    const r = await runCli(['vm', 'console', 'web1', '--quiet-ms', '30000', '--until', 'DONE-7'], { url: d.url, input: 'work; echo DONE-7\n', timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('tiny login: ready\r\nwork; echo DONE-7\n');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 40_000);

  it('with empty stdin, prints the recent output and exits', async () => {
    const { daemon: d } = await echoConsole();
    const r = await runCli(['vm', 'console', 'web1', '--quiet-ms', '100'], { url: d.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('tiny login: ready\r\n');
  });

  it('exits 3 with the API message when the daemon refuses the console', async () => {
    const { daemon: d } = await echoConsole();
    const r = await runCli(['vm', 'console', 'ghost'], { url: d.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("herd: vm 'ghost' does not exist; list them with `herd vm list`\n");
  });

  it('exits 3 with the close reason when the daemon closes the console with 4404', async () => {
    const { daemon: d } = await echoConsole();
    const r = await runCli(['vm', 'console', 'gone'], { url: d.url, input: 'x' });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("herd: vm 'gone' does not exist; list them with `herd vm list`\n");
  });

  it('exits 6 when the daemon cannot be reached', async () => {
    const r = await runCli(['vm', 'console', 'web1'], { url: `http://127.0.0.1:${await closedPort()}` });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^herd: cannot reach the herd daemon/);
  });
});

describe('herd vm console --log', () => {
  it('prints the log as text and passes --bytes', async () => {
    const { daemon: d } = await echoConsole();
    const r = await runCli(['vm', 'console', 'web1', '--log', '--bytes', '100'], { url: d.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('log of the last 100 bytes\n');
  });

  it('exits 3 for an unknown VM', async () => {
    const d = await FakeDaemon.start({
      'GET /api/v1/vms/ghost/console': (_q, res) => sendError(res, 'not_found', { kind: 'vm', name: 'ghost' }),
    });
    daemon = d;
    const r = await runCli(['vm', 'console', 'ghost', '--log'], { url: d.url });
    expect(r.code).toBe(3);
  });
});
