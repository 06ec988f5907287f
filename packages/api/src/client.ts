/**
 * The typed HTTP client for herd's API, used by the CLI and the web UI. It depends only on
 * `fetch`, so it runs in Node and in browsers. Errors come back as {@link HerdError}s with the
 * catalogue code the daemon sent.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { projectHeader } from './access.js';
import { HerdError, isErrorCode } from './errors.js';
import { apiBase, routes, type RouteDef, type RouteId } from './routes.js';
import type { HerdEvent } from './schemas/event.js';
import type { Operation } from './schemas/operation.js';

type Routes = typeof routes;

/** The inputs a route takes: path params, query and body, as their schemas say. */
export type RouteInput<R extends RouteDef> = (R extends { params: infer P extends TSchema }
  ? { params: Static<P> }
  : { params?: undefined }) &
  (R extends { query: infer Q extends TSchema } ? { query?: Static<Q> } : { query?: undefined }) &
  (R extends { body: infer B extends TSchema } ? { body: Static<B> } : { body?: undefined });

/** What a route answers on success (200, or 201 for routes that create). */
export type RouteOutput<R extends RouteDef> = R['responses'] extends { 200: infer S }
  ? S extends TSchema
    ? Static<S>
    : string
  : R['responses'] extends { 201: infer C extends TSchema }
    ? Static<C>
    : never;

/** Options for {@link HerdClient}. */
export interface ClientOptions {
  /** Base URL of the daemon, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly token?: string;
  /** The project to act in (sent as the `x-herd-project` header); the caller's default when absent. */
  readonly project?: string;
  readonly fetch?: typeof fetch;
}

/** A network failure reaching the daemon (not an API error). */
export class ConnectionError extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`cannot reach the herd daemon at ${url}: ${cause instanceof Error ? (cause.cause as Error | undefined)?.message ?? cause.message : String(cause)}; is \`herd serve\` running? (set --url or HERD_URL)`);
    this.name = 'ConnectionError';
  }
}

/** Typed access to every route of the API. */
export class HerdClient {
  readonly #url: string;
  readonly #token: string | undefined;
  readonly #project: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
    this.#project = options.project;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** The daemon's base URL. */
  get url(): string {
    return this.#url;
  }

  /** Builds the URL of a route with its params and query filled in. */
  routeUrl(id: RouteId, params?: Record<string, string>, query?: Record<string, unknown>): string {
    const route: RouteDef = routes[id];
    const path = route.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params?.[k] ?? ''));
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const q = qs.toString();
    return `${this.#url}${apiBase}${path}${q ? `?${q}` : ''}`;
  }

  /** Calls a route and returns its decoded answer; throws HerdError or ConnectionError. */
  async call<K extends RouteId>(id: K, input: RouteInput<Routes[K]> = {} as RouteInput<Routes[K]>): Promise<RouteOutput<Routes[K]>> {
    const route: RouteDef = routes[id];
    const url = this.routeUrl(id, input.params as Record<string, string> | undefined, input.query as Record<string, unknown>);
    const headers: Record<string, string> = this.#identity();
    let body: string | undefined;
    if (route.body) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.body ?? {});
    }
    let res: Response;
    try {
      res = await this.#fetch(url, { method: route.method, headers, body });
    } catch (e) {
      throw new ConnectionError(this.#url, e);
    }
    return (await decode(res)) as RouteOutput<Routes[K]>;
  }

  /** Waits for an operation to finish and returns it; a failed one throws its error. */
  async waitOperation(id: string, timeoutSeconds = 300): Promise<Operation> {
    const op = await this.call('getOperation', { params: { id }, query: { wait: true, timeoutSeconds } });
    if (op.status === 'failed' && op.error) throw operationError(op);
    return op;
  }

  /**
   * Streams events (server-sent events) until `signal` aborts, calling `onEvent` for each.
   * Starts after `since` when given, else with new events only; with `target` (a VM's name or
   * id), only that VM's events.
   */
  async streamEvents(onEvent: (e: HerdEvent) => void, options: { since?: number; target?: string; signal?: AbortSignal } = {}): Promise<void> {
    const url = this.routeUrl('listEvents', undefined, { since: options.since, target: options.target });
    const headers: Record<string, string> = { accept: 'text/event-stream', ...this.#identity() };
    let res: Response;
    try {
      res = await this.#fetch(url, { headers, signal: options.signal });
    } catch (e) {
      if (options.signal?.aborted) return;
      throw new ConnectionError(this.#url, e);
    }
    if (!res.ok || !res.body) {
      await decode(res);
      return;
    }
    const reader = res.body.getReader();
    const text = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += text.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (data) onEvent(JSON.parse(data) as HerdEvent);
        }
      }
    } catch (e) {
      if (options.signal?.aborted) return;
      throw e;
    }
  }

  /** The headers that say who calls and in which project; WebSocket clients send them too. */
  identityHeaders(): Record<string, string> {
    return this.#identity();
  }

  #identity(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (this.#project) headers[projectHeader] = this.#project;
    return headers;
  }

  /** The WebSocket URL of a VM's serial console, opened with a ticket from `createConsoleTicket` (console: serial). */
  consoleUrl(vm: string, ticket?: string): string {
    return this.routeUrl('getVmConsole', { id: vm }, { ticket }).replace(/^http/, 'ws');
  }

  /** The WebSocket URL of a VM's graphical console (RFB), opened with a ticket from `createConsoleTicket`. */
  vncUrl(vm: string, ticket: string): string {
    return this.routeUrl('getVmVnc', { id: vm }, { ticket }).replace(/^http/, 'ws');
  }
}

/** Rebuilds the HerdError of a failed operation. */
export function operationError(op: Operation): HerdError {
  const e = op.error;
  if (!e) return new HerdError('internal', { reason: `operation ${op.id} failed without an error` });
  return new HerdError(isErrorCode(e.code) ? e.code : 'internal', { ...e.details, operation: op.id }, e.message);
}

async function decode(res: Response): Promise<unknown> {
  const type = res.headers.get('content-type') ?? '';
  const payload: unknown = type.includes('application/json') ? await res.json() : await res.text();
  if (res.ok) return payload;
  const err = (payload as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (err && isErrorCode(err.code) && typeof err.message === 'string')
    throw new HerdError(err.code, (err.details ?? {}) as Record<string, unknown>, err.message);
  throw new HerdError('internal', { status: res.status }, `the daemon answered ${res.status}: ${String(payload).slice(0, 200)}`);
}
