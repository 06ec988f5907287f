/**
 * The route table: every route of the REST API, with its schemas. The daemon registers its
 * handlers against this table (and fails to start if one is missing), the OpenAPI document is
 * generated from it, and the typed client calls through it, so the three cannot drift apart.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { IdOrName, WaitQuery } from './schemas/common.js';
import { Event, EventQuery } from './schemas/event.js';
import { Host } from './schemas/host.js';
import { Image, ImageBuild, ImageImport } from './schemas/image.js';
import { Operation, OperationListQuery } from './schemas/operation.js';
import { ConsoleQuery, EmptyBody, Vm, VmCreate, VmStopBody } from './schemas/vm.js';

/** One route of the API. */
export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under /api/v1, OpenAPI style (`/vms/{id}`). */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: TSchema;
  readonly query?: TSchema;
  readonly body?: TSchema;
  /** Success responses by status; `text` marks a text/plain body; `sse` an event stream. */
  readonly responses: Readonly<Record<number, TSchema | 'text' | 'sse'>>;
  /** Also served as a WebSocket upgrade on the same path. */
  readonly websocket?: boolean;
}

const opResponses = { 200: Operation, 202: Operation } as const;
const vmAction = <B extends TSchema = typeof EmptyBody>(action: string, summary: string, body?: B) =>
  ({
    method: 'POST',
    path: `/vms/{id}/actions/${action}`,
    summary,
    tag: 'vms',
    params: IdOrName,
    query: WaitQuery,
    body: (body ?? EmptyBody) as B,
    responses: opResponses,
  }) as const satisfies RouteDef;

/** Every route of the API, by operation id. */
export const routes = {
  getHealth: {
    method: 'GET',
    path: '/health',
    summary: 'Liveness check',
    tag: 'meta',
    responses: { 200: Type.Object({ ok: Type.Boolean(), version: Type.String() }) },
  },
  listHosts: { method: 'GET', path: '/hosts', summary: 'List hosts', tag: 'hosts', responses: { 200: Type.Array(Host) } },
  getHost: {
    method: 'GET',
    path: '/hosts/{id}',
    summary: 'Show a host (`local` is this host)',
    tag: 'hosts',
    params: IdOrName,
    responses: { 200: Host },
  },
  listVms: { method: 'GET', path: '/vms', summary: 'List VMs', tag: 'vms', responses: { 200: Type.Array(Vm) } },
  createVm: {
    method: 'POST',
    path: '/vms',
    summary: 'Create a VM (and start it with `start: true`)',
    tag: 'vms',
    query: WaitQuery,
    body: VmCreate,
    responses: opResponses,
  },
  getVm: { method: 'GET', path: '/vms/{id}', summary: 'Show a VM', tag: 'vms', params: IdOrName, responses: { 200: Vm } },
  deleteVm: {
    method: 'DELETE',
    path: '/vms/{id}',
    summary: 'Delete a VM: stop it, remove its disk and runtime files',
    tag: 'vms',
    params: IdOrName,
    query: WaitQuery,
    responses: opResponses,
  },
  startVm: vmAction('start', 'Start a VM'),
  stopVm: vmAction('stop', 'Stop a VM: ACPI shutdown, forced after a timeout (or at once with force)', VmStopBody),
  restartVm: vmAction('restart', 'Restart a VM: stop (as for stop), then start', VmStopBody),
  pauseVm: vmAction('pause', 'Pause a running VM'),
  resumeVm: vmAction('resume', 'Resume a paused VM'),
  getVmConsole: {
    method: 'GET',
    path: '/vms/{id}/console',
    summary:
      'The serial console: the log as text, or (WebSocket upgrade) a live stream both ways, starting with recent output',
    tag: 'vms',
    params: IdOrName,
    query: ConsoleQuery,
    responses: { 200: 'text' },
    websocket: true,
  },
  listImages: { method: 'GET', path: '/images', summary: 'List images', tag: 'images', responses: { 200: Type.Array(Image) } },
  getImage: { method: 'GET', path: '/images/{id}', summary: 'Show an image', tag: 'images', params: IdOrName, responses: { 200: Image } },
  buildImage: {
    method: 'POST',
    path: '/images/build',
    summary: 'Build an image from a recipe (`tiny`: a guest made from the host kernel and busybox)',
    tag: 'images',
    query: WaitQuery,
    body: ImageBuild,
    responses: opResponses,
  },
  importImage: {
    method: 'POST',
    path: '/images/import',
    summary: 'Import a qcow2 or raw disk image from a path on the daemon host',
    tag: 'images',
    query: WaitQuery,
    body: ImageImport,
    responses: opResponses,
  },
  deleteImage: {
    method: 'DELETE',
    path: '/images/{id}',
    summary: 'Delete an image no VM uses',
    tag: 'images',
    params: IdOrName,
    responses: { 200: Image },
  },
  listOperations: {
    method: 'GET',
    path: '/operations',
    summary: 'List operations, newest first',
    tag: 'operations',
    query: OperationListQuery,
    responses: { 200: Type.Array(Operation) },
  },
  getOperation: {
    method: 'GET',
    path: '/operations/{id}',
    summary: 'Show an operation (with ?wait=true, once it has finished)',
    tag: 'operations',
    params: IdOrName,
    query: WaitQuery,
    responses: { 200: Operation },
  },
  listEvents: {
    method: 'GET',
    path: '/events',
    summary: 'Events: a JSON array, or server-sent events when the client accepts text/event-stream',
    tag: 'events',
    query: EventQuery,
    responses: { 200: Type.Array(Event) },
  },
} as const satisfies Record<string, RouteDef>;

/** Operation id of a route. */
export type RouteId = keyof typeof routes;

/** Base path of the API. */
export const apiBase = '/api/v1';
