/**
 * Generated requests for one route of the route table: its path with odd parameters (real
 * names too), its query, headers (tokens good, bad and forged; projects real, random and
 * repeated) and a body that is valid, slightly wrong, not JSON at all, or of another type.
 * For the fuzz test; pure apart from the fixtures it is given.
 */
import { validateHeaderValue } from 'node:http';
import { apiBase, namePattern, projectHeader, routes, type RouteDef, type RouteId } from '@herd/api';
import fc from 'fast-check';
import type { RawRequest } from './raw-http.js';
import { nastyStrings, valueOf, type JsonSchema, type RealNames } from './schema-arbitrary.js';

/** What exists on the daemon under test, for requests that should sometimes hit real things. */
export interface Fixtures {
  /** Names and ids that exist, by the path segment before the parameter (`vms`, `snapshots`, `tokens`, ...). */
  readonly real: Readonly<Record<string, readonly string[]>>;
  /** The same for DELETE routes: things the fuzzer may delete, and things a delete must refuse. */
  readonly deletable: Readonly<Record<string, readonly string[]>>;
  /** Names and ids that exist, for body and query fields by name (`image`, `vm`, ...); other fields get any of them. */
  readonly fields: RealNames;
  /**
   * By route, body fields that start costly work when fresh (an image build): nine times in ten
   * they take one of these existing names, so that most such requests are refused at once.
   */
  readonly costly: Readonly<Record<string, RealNames>>;
  /** The cluster admin's token and a project viewer's. */
  readonly tokens: { readonly admin: string; readonly viewer: string };
  /** Project names that exist. */
  readonly projects: readonly string[];
  /** An absolute directory: absolute host paths in bodies are moved under it. */
  readonly sandbox: string;
}

/** A generated request, printed short when fast-check reports it. */
export interface FuzzRequest extends RawRequest {
  readonly route: string;
}

// Body fields that name paths on the daemon host.
const hostPathFields = new Set(['path', 'to', 'archive']);
// Body fields that would boot a VM; VMs are booted rarely (startVm only), never by a create.
const bootFields = new Set(['start']);

const rawSegments = [
  '', '.', '..', '%2e%2e', '%2E%2E', '..%2f..%2fetc%2fpasswd', '%2F', '%00', '%', '%zz', '%c0%ae%c0%ae', '%ff', 'a/b', '~', '*', ';',
  '%20', '%F0%9F%98%80', 'x'.repeat(101), 'x'.repeat(5000), 'local', 'default',
];

/** A path parameter: a real name, a valid-looking or random one, or something odd, raw. */
function paramOf(real: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    ...(real.length ? [{ arbitrary: fc.constantFrom(...real), weight: 8 }] : []),
    { arbitrary: fc.stringMatching(new RegExp(namePattern)).map(encodeURIComponent), weight: 2 },
    { arbitrary: fc.uuid(), weight: 1 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeURIComponent), weight: 2 },
    { arbitrary: fc.constantFrom(...rawSegments), weight: 2 },
  );
}

/** Query values as a URL query gives them: text, repeated keys for arrays. */
function toQuery(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value === undefined ? '' : `?${encodeURIComponent(JSON.stringify(value))}`;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(value)) {
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, typeof item === 'string' ? item : typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Waits are kept short: `?wait` always comes with a timeout of at most 2 s (unless that is broken). */
function shortWaits(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('wait' in value)) return value;
  const t = (value as { timeoutSeconds?: unknown }).timeoutSeconds;
  const validLong = t === undefined || ((typeof t === 'number' || typeof t === 'string') && Number.isInteger(Number(t)) && Number(t) > 2);
  return validLong ? { ...value, timeoutSeconds: 2 } : value;
}

function queryOf(route: RouteDef, real: RealNames): fc.Arbitrary<string> {
  const rawQueries = ['?', '?&&', '?=', '?a', '?%', '?%zz=1', '?a=%zz', '?a[b]=1', '?__proto__[x]=1', '?constructor=1', `?x=${'y'.repeat(10_000)}`, `?x=${'y'.repeat(20_000)}`, '?wait=1&wait=0'];
  // Long values are cut (sometimes mid-escape) to 12,000 characters: beyond 16 KiB of head,
  // Node refuses the request before the app sees it, which one raw query above still tries.
  const cut = (q: string) => q.slice(0, 12_000);
  return fc.oneof(
    { arbitrary: fc.constant(''), weight: 3 },
    ...(route.query ? [{ arbitrary: valueOf(route.query as JsonSchema, real).map(shortWaits).map(toQuery).map(cut), weight: 5 }] : []),
    { arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ unit: 'grapheme', maxLength: 20 }), { maxKeys: 3 }).map(shortWaits).map(toQuery).map(cut), weight: 1 },
    { arbitrary: fc.constantFrom(...rawQueries), weight: 1 },
  );
}

/** A body value with host paths moved into the sandbox and boot requests dropped. */
function tamed(value: unknown, sandbox: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (bootFields.has(k)) continue;
    const moved = hostPathFields.has(k) && typeof v === 'string' && v.startsWith('/') ? `${sandbox}${v}` : v;
    Object.defineProperty(out, k, { value: moved, enumerable: true, configurable: true, writable: true });
  }
  return out;
}

/** JSON text, or what a careless client would send for values JSON cannot hold. */
function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

const jsonTypes = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=utf-16', 'application/json;charset=latin1'];
const otherTypes = [
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/jsonx',
  'application/vnd.api+json', '*/*', 'json', ';', 'application/json, text/plain',
];
const notJson = ['{', '{"name":', '[', 'nul', "{'a':1}", '{"a":1,}', '\u0000', ' ', 'undefined', 'NaN', '{"a":1}{"b":2}', '\ufeff{}', '"just a string"', '1e999', '-'];
const pollution = ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}', '{"name":"x","__proto__":{"clusterAdmin":true}}'];

/** `value` with, mostly, the fields of `costly` set to existing names. */
function mostlyExisting(value: fc.Arbitrary<unknown>, costly: RealNames | undefined): fc.Arbitrary<unknown> {
  if (!costly) return value;
  return fc.tuple(value, fc.integer({ min: 0, max: 9 }), fc.nat()).map(([v, dice, pick]) => {
    if (dice === 0 || v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = { ...v };
    for (const [k, names] of Object.entries(costly)) out[k] = names[pick % names.length];
    return out;
  });
}

/** Content type and body. */
function bodyOf(route: RouteDef, real: RealNames, sandbox: string, costly: RealNames | undefined): fc.Arbitrary<{ type?: string; body?: string }> {
  const schema = (route.body ?? { type: 'object', properties: {}, additionalProperties: false }) as JsonSchema;
  const ofSchema = mostlyExisting(valueOf(schema, real), costly).map((v) => jsonText(tamed(v, sandbox)));
  const typed = (text: fc.Arbitrary<string | undefined>, types: readonly string[]) =>
    fc.tuple(text, fc.constantFrom(...types)).map(([body, type]) => (body === undefined ? { type } : { type, body }));
  // Weights out of 100: mostly JSON of the route's schema; the heavy ones (deep, over the
  // 1 MiB limit) rarely, as they cost the most time.
  return fc.oneof(
    { arbitrary: fc.constant({}), weight: 8 },
    { arbitrary: typed(ofSchema, ['application/json']), weight: 55 },
    { arbitrary: typed(ofSchema, [...jsonTypes, ...otherTypes]), weight: 6 },
    { arbitrary: typed(fc.jsonValue().map((v) => jsonText(tamed(v, sandbox))), jsonTypes), weight: 6 },
    { arbitrary: typed(fc.anything().map((v) => jsonText(tamed(v, sandbox))), jsonTypes), weight: 6 },
    { arbitrary: typed(fc.oneof(fc.constantFrom(...notJson), fc.string({ unit: 'binary', maxLength: 40 })), [...jsonTypes, ...otherTypes]), weight: 8 },
    { arbitrary: typed(fc.constantFrom(...pollution), jsonTypes), weight: 4 },
    {
      arbitrary: typed(
        fc.integer({ min: 100, max: 50_000 }).chain((n) => fc.constantFrom('['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n))),
        jsonTypes,
      ),
      weight: 2,
    },
    { arbitrary: typed(fc.constant(JSON.stringify({ name: 'x'.repeat(1_100_000) })), jsonTypes), weight: 1 },
    { arbitrary: fc.constantFrom(...otherTypes).map((type) => ({ type })), weight: 4 },
  );
}

/** A header value as HTTP can carry it. */
const sendable = (v: string) => {
  try {
    validateHeaderValue('x', v);
    return true;
  } catch {
    return false;
  }
};

function headersOf(f: Fixtures): fc.Arbitrary<[string, string][]> {
  const tokenId = f.tokens.admin.split('_')[1] ?? '';
  const authorization = fc.oneof(
    { arbitrary: fc.constant([] as [string, string][]), weight: 2 },
    { arbitrary: fc.constant([['authorization', `Bearer ${f.tokens.admin}`]] as [string, string][]), weight: 10 },
    { arbitrary: fc.constant([['authorization', `Bearer ${f.tokens.viewer}`]] as [string, string][]), weight: 2 },
    {
      // Forged: the admin token's id with another secret, or a random id.
      arbitrary: fc
        .tuple(fc.oneof(fc.constant(tokenId), fc.stringMatching(/^[0-9a-f]{32}$/)), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/))
        .map(([id, secret]) => [['authorization', `Bearer herd_${id}_${secret}`]] as [string, string][]),
      weight: 1,
    },
    {
      arbitrary: fc
        .oneof(
          fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `bearer  ${f.tokens.admin}`, `Bearer ${f.tokens.admin} x`, `Bearer ${f.tokens.admin.toUpperCase()}`, `Token ${f.tokens.admin}`, 'Bearer herd_', f.tokens.admin),
          fc.string({ unit: 'binary-ascii', maxLength: 60 }).filter(sendable),
        )
        .map((v) => [['authorization', v]] as [string, string][]),
      weight: 1,
    },
  );
  const project = fc.oneof(
    { arbitrary: fc.constant([] as [string, string][]), weight: 8 },
    { arbitrary: fc.constantFrom(...f.projects).map((p) => [[projectHeader, p]] as [string, string][]), weight: 2 },
    { arbitrary: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...nastyStrings)).filter(sendable).map((p) => [[projectHeader, p]] as [string, string][]), weight: 1 },
    { arbitrary: fc.constantFrom(...f.projects).map((p) => [[projectHeader, p], [projectHeader, 'default']] as [string, string][]), weight: 1 },
  );
  const extra = fc.oneof(
    { arbitrary: fc.constant([] as [string, string][]), weight: 8 },
    { arbitrary: fc.constant([['accept', 'text/event-stream']] as [string, string][]), weight: 1 },
  );
  return fc.tuple(authorization, project, extra).map((parts) => parts.flat());
}

/**
 * WebSocket upgrade headers, for the WebSocket routes only: @fastify/websocket upgrades a
 * request to any route and then closes the socket when the route has no WebSocket handler,
 * so elsewhere the answer would be a dropped connection, not an HTTP status.
 */
function upgradeOf(route: RouteDef): fc.Arbitrary<[string, string][]> {
  const upgrade: [string, string][] = [
    ['connection', 'Upgrade'],
    ['upgrade', 'websocket'],
    ['sec-websocket-version', '13'],
    ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ];
  return route.websocket ? fc.constantFrom([], upgrade) : fc.constant([]);
}

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** Requests for route `id`: mostly its own method, sometimes another. */
export function requestsFor(id: RouteId, f: Fixtures): fc.Arbitrary<FuzzRequest> {
  const route: RouteDef = routes[id];
  const segments = route.path.split('/');
  const params = segments.flatMap((s, i) => {
    const m = /^\{(\w+)\}$/.exec(s);
    return m ? [{ name: m[1]!, collection: segments[i - 1] ?? '' }] : [];
  });
  const allReal: RealNames = { '*': [...new Set(Object.values(f.real).flat())], ...f.fields };
  // Path parameters from the real things, or (when the request is a DELETE, whichever route it
  // was made for) from those the fuzzer may delete.
  const paramValues = (pools: Fixtures['real']) => fc.tuple(...params.map((p) => paramOf(pools[p.collection] ?? [])));
  const method = fc.oneof({ arbitrary: fc.constant(route.method), weight: 15 }, { arbitrary: fc.constantFrom(...methods), weight: 1 });
  return fc
    .tuple(method, paramValues(f.real), paramValues(f.deletable), queryOf(route, allReal), headersOf(f), upgradeOf(route), bodyOf(route, allReal, f.sandbox, f.costly[id]))
    .map(([m, real, deletable, query, headers, upgrade, { type, body }]) => {
      const values = m === 'DELETE' ? deletable : real;
      let path = route.path;
      params.forEach((p, i) => (path = path.replace(`{${p.name}}`, values[i]!)));
      return described({
        route: id,
        method: m,
        path: `${apiBase}${path}${query}`,
        headers: [...headers, ...upgrade, ...(type === undefined ? [] : [['content-type', type] as [string, string]])],
        ...(body !== undefined ? { body } : {}),
      });
    });
}

/** Requests off the route table: other methods and paths under the API and beside it. */
export function strayRequests(f: Fixtures): fc.Arbitrary<FuzzRequest> {
  const paths = fc.oneof(
    fc.constantFrom('/', '/api', '/api/v1', '/api/v1/', '/api/v2/vms', '/api/v1/openapi.json', '/metrics', '/index.html', '/api/v1/vms/keep/actions/fly', '/..', '/api/v1/..%2f..%2f', '//api//v1//vms'),
    fc.webPath().map((p) => `${apiBase}${p}`),
    fc.webPath(),
  );
  return fc
    .tuple(fc.constantFrom(...methods), paths, headersOf(f), fc.option(fc.jsonValue().map((v) => jsonText(v) ?? 'null')))
    .map(([method, path, headers, body]) =>
      described({
        route: 'stray',
        method,
        path: path.startsWith('/') ? path : `/${path}`,
        headers: body === null ? headers : [...headers, ['content-type', 'application/json']],
        ...(body !== null ? { body } : {}),
      }),
    );
}

/** Shortens what a failure report prints of a request (bodies can be megabytes). */
function described(r: FuzzRequest): FuzzRequest {
  return Object.assign(r, { [fc.toStringMethod]: () => describe(r) });
}

/** One line for a request: method, path, headers, and the body cut to 300 characters. */
export function describe(r: FuzzRequest): string {
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s);
  return `${r.route}: ${r.method} ${cut(r.path)} headers=${JSON.stringify(r.headers.map(([k, v]) => [k, cut(v)]))}${r.body !== undefined ? ` body=${JSON.stringify(cut(r.body))}` : ''}`;
}
