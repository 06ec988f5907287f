/** Builds the OpenAPI 3.1 document from the route table and the error catalogue. */
import type { TSchema } from '@sinclair/typebox';
import { errorCatalogue } from './errors.js';
import { projectHeader, routeAccess, type Access } from './access.js';
import { apiBase, routes, type RouteDef, type RouteId } from './routes.js';
import { ErrorResponse } from './schemas/common.js';

type Json = Record<string, unknown>;

/** Copies a TypeBox schema into plain JSON Schema, replacing named schemas by $refs. */
function toJsonSchema(schema: TSchema, components: Json): Json {
  const plain = JSON.parse(JSON.stringify(schema)) as Json;
  const id = plain.$id;
  if (typeof id === 'string') {
    delete plain.$id;
    components[id] ??= plain;
    return { $ref: `#/components/schemas/${id}` };
  }
  return plain;
}

function inlineWithRefs(value: unknown, components: Json): unknown {
  if (Array.isArray(value)) return value.map((v) => inlineWithRefs(v, components));
  if (value && typeof value === 'object') {
    const obj = value as Json;
    if (typeof obj.$id === 'string') {
      const { $id, ...rest } = obj;
      components[$id] ??= inlineWithRefs(rest, components);
      return { $ref: `#/components/schemas/${$id}` };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, inlineWithRefs(v, components)]));
  }
  return value;
}

function parameters(route: RouteDef, access: Access, components: Json): Json[] {
  const out: Json[] = [];
  if (access.scope === 'project' && !access.projectParam)
    out.push({
      name: projectHeader,
      in: 'header',
      required: false,
      description: "the project to act in; default: 'default' when the caller has a role there, else the caller's only project",
      schema: { type: 'string' },
    });
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const s = JSON.parse(JSON.stringify(schema)) as { properties?: Json; required?: string[] };
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      const p = prop as Json;
      out.push({
        name,
        in: where,
        required: where === 'path' || (s.required ?? []).includes(name),
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
        schema: inlineWithRefs(p, components),
      });
    }
  }
  return out;
}

/** The OpenAPI document served at /api/v1/openapi.json. */
export function buildOpenApi(version: string): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  for (const [operationId, route] of Object.entries(routes) as [string, RouteDef][]) {
    const responses: Json = {};
    for (const [status, schema] of Object.entries(route.responses)) {
      if (schema === 'text') responses[status] = { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } };
      else if (schema === 'sse') responses[status] = { description: 'OK', content: { 'text/event-stream': { schema: { type: 'string' } } } };
      else if (schema === 'websocket') responses[status] = { description: 'Switching Protocols: the connection is a WebSocket from here on' };
      else
        responses[status] = {
          description: status === '202' ? 'Accepted: the operation goes on' : 'OK',
          content: { 'application/json': { schema: inlineWithRefs(JSON.parse(JSON.stringify(schema)), components) } },
        };
    }
    responses.default = {
      description: `Error. Codes: ${Object.entries(errorCatalogue)
        .map(([c, e]) => `${c} (${e.status})`)
        .join(', ')}`,
      content: { 'application/json': { schema: toJsonSchema(ErrorResponse, components) } },
    };
    const access = routeAccess[operationId as RouteId];
    const op: Json = {
      operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters: parameters(route, access, components),
      responses,
      'x-herd-access': access,
      security: access.scope === 'public' ? [] : [{ token: [] }],
    };
    if (route.body)
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: inlineWithRefs(JSON.parse(JSON.stringify(route.body)), components) } },
      };
    const path = apiBase + route.path;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'herd API', version, description: 'Manage QEMU/KVM virtual machines.' },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        token: { type: 'http', scheme: 'bearer', description: 'an API token; root on the local unix socket needs none' },
      },
    },
    'x-error-codes': Object.fromEntries(Object.entries(errorCatalogue).map(([c, e]) => [c, e.status])),
  };
}
