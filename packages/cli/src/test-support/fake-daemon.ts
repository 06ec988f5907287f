/**
 * A stand-in for the daemon's HTTP API in CLI command tests: canned answers per route, and a
 * record of the requests the CLI made. It tests what the CLI does with answers, not the daemon.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ErrorCode } from '@herd/api';
import { errorCatalogue } from '@herd/api';

/** A request the CLI made. */
export interface FakeRequest {
  readonly method: string;
  /** Path under the server root, without the query (`/api/v1/vms`). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly headers: IncomingHttpHeaders;
}

/** Where a fake daemon listens: loopback TCP by default, or a unix socket, or HTTPS with this key and certificate. */
export interface FakeListen {
  readonly socketPath?: string;
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** Answers one route. */
export type Handler = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

/** A fake daemon on a random loopback port. Close it after the test. */
export class FakeDaemon {
  /** Every request, in order. */
  readonly requests: FakeRequest[] = [];
  readonly #server: Server;
  readonly #routes: Map<string, Handler>;

  readonly #listen: FakeListen;

  private constructor(server: Server, routes: Map<string, Handler>, listen: FakeListen) {
    this.#server = server;
    this.#routes = routes;
    this.#listen = listen;
  }

  /** Starts a server answering `routes`, keyed `'GET /api/v1/vms'`; other routes answer 404. */
  static async start(routes: Readonly<Record<string, Handler>>, listen: FakeListen = {}): Promise<FakeDaemon> {
    const server = listen.tls ? createHttpsServer(listen.tls) : createServer();
    const daemon = new FakeDaemon(server, new Map(Object.entries(routes)), listen);
    server.on('request', (req, res) => void daemon.#handle(req, res));
    if (listen.socketPath) server.listen(listen.socketPath);
    else server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return daemon;
  }

  /** The base URL to give the CLI. */
  get url(): string {
    if (this.#listen.socketPath) return `unix:${this.#listen.socketPath}`;
    return `${this.#listen.tls ? 'https' : 'http'}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The underlying server (to attach a WebSocket server). */
  get server(): Server {
    return this.#server;
  }

  /** Requests made to `method path`. */
  calls(method: string, path: string): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  /** Stops the server and drops open connections. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body: text ? (JSON.parse(text) as unknown) : undefined,
      headers: req.headers,
    };
    this.requests.push(request);
    const handler = this.#routes.get(`${request.method} ${request.path}`);
    if (handler) await handler(request, res);
    else sendError(res, 'route_not_found', { method: request.method, url: request.path });
  }
}

/** Answers with a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Answers with a catalogue error, as the daemon does. */
export function sendError(res: ServerResponse, code: ErrorCode, details: Record<string, string | number> = {}): void {
  const entry = errorCatalogue[code];
  sendJson(res, entry.status, { error: { code, message: entry.message(details), details } });
}
