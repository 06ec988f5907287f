/**
 * A fetch that checks every API response against the OpenAPI document the daemon serves:
 * the status must be one the route declares (or an error with the catalogue's body), and the
 * body must match the declared schema. Tests use it for every call, so each e2e test is also a
 * contract test.
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvType, Options, ValidateFunction } from 'ajv';

// ajv is CommonJS, and Node's ESM loader and vitest disagree on its default import; require()
// gives the same thing in both.
const require = createRequire(import.meta.url);
const Ajv = require('ajv') as new (options: Options) => AjvType;
const addFormats = require('ajv-formats') as (ajv: AjvType) => AjvType;

type Json = Record<string, unknown>;
interface Route {
  readonly method: string;
  readonly re: RegExp;
  readonly responses: Json;
}

const docs = new Map<string, Promise<{ routes: Route[]; ajv: AjvType }>>();
/** Every mismatch seen, so a test can assert there were none. */
export const contractViolations: string[] = [];

async function load(base: string) {
  const res = await fetch(`${base}/api/v1/openapi.json`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, { responses: Json }>>; components: { schemas: Json } };
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  ajv.addSchema({ $id: 'doc', components: doc.components });
  const routes: Route[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods))
      routes.push({ method: method.toUpperCase(), re: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`), responses: op.responses });
  return { routes, ajv };
}

const compiled = new WeakMap<object, ValidateFunction>();

function rewriteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(
      Object.entries(schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `doc${v}` : rewriteRefs(v)]),
    );
  }
  return schema;
}

/** fetch, plus a check of the response against the OpenAPI document. */
export async function checkingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const res = await fetch(input, init);
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const method = (init?.method ?? 'GET').toUpperCase();
  const type = res.headers.get('content-type') ?? '';
  if (!url.pathname.startsWith('/api/v1/') || !type.includes('application/json')) return res;
  const base = `${url.protocol}//${url.host}`;
  if (!docs.has(base)) docs.set(base, load(base));
  const { routes, ajv } = await docs.get(base)!;
  const route = routes.find((r) => r.method === method && r.re.test(url.pathname));
  const where = `${method} ${url.pathname} -> ${res.status}`;
  if (!route) {
    if (res.status !== 404) contractViolations.push(`${where}: no such route in the OpenAPI document`);
    return res;
  }
  const declared = (route.responses[String(res.status)] ?? (res.status >= 400 ? route.responses.default : undefined)) as
    | { content?: Record<string, { schema: object }> }
    | undefined;
  if (!declared) {
    contractViolations.push(`${where}: status not declared`);
    return res;
  }
  const schema = declared.content?.['application/json']?.schema;
  if (!schema) return res;
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(schema) as object);
    compiled.set(schema, validate);
  }
  const check = validate;
  const body: unknown = await res.clone().json();
  if (!check(body)) contractViolations.push(`${where}: ${ajv.errorsText(check.errors)}`);
  return res;
}
