import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HerdError } from '@herd/api';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateNames } from '../serving/certificate-names.js';
import { ensureServerCertificate } from '../serving/server-certificate.js';
import type { Db } from '../store/open-database.js';
import type { HostsTable, VmRow } from '../store/schema.js';
import { defaultProjectId, runInScope, type RequestScope } from '../tenancy/request-scope.js';
import { ForwardSigner, forwardHeaders, type ForwardHeaderValues } from './forward-signature.js';
import { prepareClusterTls } from './cluster-tls.js';
import { Forwarder } from './forwarder.js';
import { GiB, addHost as addHostTo, addVm as addVmTo, placementDb } from './testing/placement-fixtures.js';

const otherProject = '00000000-0000-4000-8000-0000000000ff';
const signer = new ForwardSigner(randomBytes(32));
const log = pino({ level: 'silent' });

let dir: string;
let db: Db;
let forwarder: Forwarder;
const closers: (() => Promise<unknown> | void)[] = [];

beforeEach(async () => {
  const made = await placementDb();
  ({ db, dir } = made);
  closers.push(made.close);
  const now = new Date().toISOString();
  await db.insertInto('projects').values({ id: otherProject, name: 'other', description: '', limits: '{}', created_at: now }).onConflict((oc) => oc.doNothing()).execute();
  forwarder = new Forwarder({ db, hostName: 'a', signer, clustered: true, log });
  closers.push(() => forwarder.close());
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Registers a host: online, its lease running for a minute, reached at an address nothing answers on. */
const addHost = (name: string, over: Partial<HostsTable> = {}) => addHostTo(db, name, { address: `http://127.0.0.1:9/${name}`, networks: '[]', ...over });
const addVm = (name: string, host: string, over: Partial<VmRow> = {}) => addVmTo(db, name, host, { memory_mib: 512, disk_bytes: GiB, ...over });

const scopeOf = (projectId: string): RequestScope => ({
  principal: { userId: 'u', userName: 'u', clusterAdmin: false, via: 'token', roles: new Map([[projectId, 'admin']]) },
  project: { id: projectId, name: projectId },
});

function errorOf(e: unknown): HerdError {
  expect(e).toBeInstanceOf(HerdError);
  return e as HerdError;
}

describe('owner resolution', () => {
  it('finds the host of a VM by name or id, and tells this host from others', async () => {
    const web = await addVm('web', 'b');
    await addVm('db', 'a');
    expect(await forwarder.ownerOf('web')).toEqual({ vmId: web.id, vmName: 'web', host: 'b', local: false });
    expect(await forwarder.ownerOf(web.id.toUpperCase())).toMatchObject({ vmName: 'web', host: 'b', local: false });
    expect(await forwarder.ownerOf('db')).toMatchObject({ host: 'a', local: true });
    expect(await forwarder.ownerOf('nope')).toBeUndefined();
  });

  it('a VM not placed yet is served here', async () => {
    await addVm('pending', '');
    expect(await forwarder.ownerOf('pending')).toMatchObject({ local: true });
  });

  it("in a request's scope, another project's VM is not found (so nothing of it leaks)", async () => {
    await addVm('theirs', 'b', { project_id: otherProject });
    expect(await runInScope(scopeOf(defaultProjectId), () => forwarder.ownerOf('theirs'))).toBeUndefined();
    expect(await runInScope(scopeOf(otherProject), () => forwarder.ownerOf('theirs'))).toMatchObject({ host: 'b' });
    expect(await forwarder.ownerOf('theirs')).toMatchObject({ host: 'b' });
  });

  it('on a single host every VM is local, whatever host name its row has', async () => {
    await addVm('web', 'old-hostname');
    const single = new Forwarder({ db, hostName: 'a', signer, clustered: false, log });
    expect(await single.ownerOf('web')).toMatchObject({ local: true });
    single.close();
  });

  it('finds the VM a volume is attached to, and none for a loose volume', async () => {
    const web = await addVm('web', 'b');
    const now = new Date().toISOString();
    await db.insertInto('pools').values({ id: 'p', name: 'default', type: 'dir', path: dir, volume_group: null, thin_pool: null, shared: 0, created_at: now }).execute();
    const volume = (name: string, vmId: string | null) => ({
      id: randomUUID(), name, pool_id: 'p', format: 'qcow2' as const, size_bytes: GiB, path: join(dir, name), role: 'data' as const, vm_id: vmId, attach_order: 0,
      image_id: null, layer_id: null, encrypted: 0, created_at: now, updated_at: now, project_id: defaultProjectId,
    });
    await db.insertInto('volumes').values([volume('attached', web.id), volume('loose', null)]).execute();
    expect(await forwarder.ownerOfVolume('attached')).toMatchObject({ vmName: 'web', host: 'b', local: false });
    expect(await forwarder.ownerOfVolume('loose')).toBeUndefined();
    expect(await forwarder.ownerOfVolume('missing')).toBeUndefined();
  });

  it("finds the host of a backup's VM by backup id or archive path; none once the VM is gone", async () => {
    const web = await addVm('web', 'b');
    const now = new Date().toISOString();
    const row = (vmId: string, path: string) => ({ id: randomUUID(), vm_id: vmId, vm_name: 'web', path, kind: 'full' as const, parent_id: null, size_bytes: 1, created_at: now, project_id: defaultProjectId });
    const kept = row(web.id, '/srv/backups/web.tar');
    await db.insertInto('backups').values([kept, row(randomUUID(), '/srv/backups/gone.tar')]).execute();
    expect(await forwarder.ownerOfBackup(kept.id)).toMatchObject({ vmName: 'web', host: 'b' });
    expect(await forwarder.ownerOfBackup('/srv/backups/web.tar')).toMatchObject({ host: 'b' });
    expect(await forwarder.ownerOfBackup('/srv/backups/gone.tar')).toBeUndefined();
  });
});

describe('host liveness', () => {
  it('gives the address of a live host', async () => {
    await addHost('b', { address: 'https://10.0.0.2:8443' });
    expect(await forwarder.peerOf({ host: 'b', vmName: 'web' })).toMatchObject({ name: 'b', address: 'https://10.0.0.2:8443' });
  });

  it('refuses with host_unavailable naming the VM, the host, its last heartbeat and why', async () => {
    await addHost('off', { status: 'offline', heartbeat_at: '2030-01-01T00:00:00.000Z' });
    await addHost('late', { lease_expires_at: new Date(Date.now() - 5000).toISOString() });
    await addHost('mute', { address: null });
    const cases: [string, RegExp][] = [
      ['off', /VM 'web' runs on host 'off', which is offline .*last heartbeat 2030-01-01T00:00:00.000Z.*retry.*HA/],
      ['late', /host 'late', which missed its heartbeats/],
      ['mute', /advertises no address.*--advertise/],
      ['never', /host 'never', which is not registered.*last heartbeat never/],
    ];
    for (const [host, message] of cases) {
      const e = errorOf(await forwarder.peerOf({ host, vmName: 'web' }).catch((x: unknown) => x));
      expect(e.code).toBe('host_unavailable');
      expect(e.status).toBe(503);
      expect(e.message).toMatch(message);
    }
  });
});

/** A stand-in for another host: records what it got and answers as `answer` says. */
async function peer(answer: (req: IncomingMessage, body: Buffer, res: import('node:http').ServerResponse) => void): Promise<{ url: string; got: { req: IncomingMessage; body: Buffer }[] }> {
  const got: { req: IncomingMessage; body: Buffer }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      got.push({ req, body });
      answer(req, body, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  closers.push(() => new Promise((r) => server.close(r)) as Promise<unknown>);
  closers.push(() => server.closeAllConnections());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

function claimHeaders(req: IncomingMessage): ForwardHeaderValues {
  const h = (n: string) => req.headers[n] as string | undefined;
  return { by: h(forwardHeaders.by), actingUser: h(forwardHeaders.actingUser), time: h(forwardHeaders.time), signature: h(forwardHeaders.signature) };
}

/** An app on "this host" that relays every request to `to` as user-1. */
async function relayingApp(to: { name: string; address: string }): Promise<FastifyInstance> {
  const app = Fastify();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.all('/*', async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    await forwarder.forward(request, reply, { ...to, heartbeatAt: 'now' }, { actingUser: 'user-1', vm: 'web', ...(body && { body }) });
    return reply;
  });
  closers.push(() => app.close());
  return app;
}

describe('relaying a request', () => {
  it('sends method, path, query, body bytes and project, signed as the caller; streams the answer back', async () => {
    const b = await peer((_req, _body, res) => {
      res.writeHead(202, { 'content-type': 'application/json', 'x-herd-served-by': 'b', connection: 'keep-alive' });
      res.write('{"id":');
      setTimeout(() => res.end('"op-1"}'), 20);
    });
    const app = await relayingApp({ name: 'b', address: b.url });
    const body = '{ "force" :true }';
    const res = await app.inject({ method: 'POST', url: '/api/v1/vms/web/actions/stop?wait=true', payload: body, headers: { 'content-type': 'application/json', 'x-herd-project': 'team', authorization: 'Bearer secret' } });
    expect(res.statusCode).toBe(202);
    expect(res.headers['x-herd-served-by']).toBe('b');
    expect(res.json()).toEqual({ id: 'op-1' });
    const [{ req, body: sent }] = b.got as [{ req: IncomingMessage; body: Buffer }];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v1/vms/web/actions/stop?wait=true');
    expect(sent.toString()).toBe(body);
    expect(req.headers['x-herd-project']).toBe('team');
    expect(req.headers['content-type']).toBe('application/json');
    // The token stays with the host the caller asked; the signature stands for it.
    expect(req.headers.authorization).toBeUndefined();
    expect(signer.verify('POST', req.url!, 'team', claimHeaders(req))).toMatchObject({ by: 'a', actingUser: 'user-1', project: 'team' });
  });

  it('relays error answers as they are', async () => {
    const b = await peer((_req, _body, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'x', details: {} } }));
    });
    const app = await relayingApp({ name: 'b', address: b.url });
    const res = await app.inject({ method: 'GET', url: '/api/v1/vms/web/console' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers host_unavailable at once when nothing listens at the address', async () => {
    const spare = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => spare.once('listening', r));
    const closed = `http://127.0.0.1:${(spare.address() as AddressInfo).port}`;
    await new Promise((r) => spare.close(r));
    const app = Fastify();
    closers.push(() => app.close());
    app.get('/*', async (request, reply) => {
      const e = errorOf(await forwarder.forward(request, reply, { name: 'b', address: closed, heartbeatAt: '2030-01-01T00:00:00.000Z' }, { actingUser: 'user-1', vm: 'web' }).catch((x: unknown) => x));
      return { code: e.code, status: e.status, message: e.message };
    });
    const started = Date.now();
    const res = await app.inject({ method: 'GET', url: '/api/v1/vms/web/console' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.json()).toMatchObject({ code: 'host_unavailable', status: 503 });
    expect(res.json<{ message: string }>().message).toMatch(/VM 'web' runs on host 'b', which cannot be reached at http:\/\/127.0.0.1:\d+: .*ECONNREFUSED.*2030-01-01/);
  });

  it('calls another host on its own behalf, as that host', async () => {
    const b = await peer((_req, body, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ echoed: JSON.parse(body.toString()) as unknown }));
    });
    await addHost('b', { address: b.url });
    expect(await forwarder.call('b', 'POST', '/api/v1/internal/x?y=1', { n: 1 })).toEqual({ status: 200, body: { echoed: { n: 1 } } });
    const [{ req }] = b.got as [{ req: IncomingMessage }];
    expect(signer.verify('POST', '/api/v1/internal/x?y=1', undefined, claimHeaders(req))).toMatchObject({ by: 'a', actingUser: '@host:a' });
    const e = errorOf(await forwarder.call('nowhere', 'GET', '/api/v1/health').catch((x: unknown) => x));
    expect(e.message).toMatch(/^host 'nowhere' is not registered/);
  });
});

describe('TLS between hosts', () => {
  /** An HTTPS stand-in for host b with a server certificate from the CA in `tlsDir`. */
  async function httpsPeer(tlsDir: string): Promise<string> {
    const tls = await ensureServerCertificate(tlsDir, certificateNames('127.0.0.1'), log);
    const server = createHttpsServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('from b'));
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    closers.push(() => new Promise((r) => server.close(r)));
    closers.push(() => server.closeAllConnections());
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("trusts a host whose certificate comes from the cluster's CA, and no other", async () => {
    const ca = await prepareClusterTls(db, join(dir, 'b-tls'), log);
    const trusted = await httpsPeer(join(dir, 'b-tls'));
    // A host with a herd CA of its own, which never joined this cluster.
    const stranger = await httpsPeer(join(dir, 'stranger-tls'));
    const tlsForwarder = new Forwarder({ db, hostName: 'a', signer, clustered: true, log, ca: ca.cert });
    closers.push(() => tlsForwarder.close());
    const app = Fastify();
    closers.push(() => app.close());
    app.get('/:to', async (request, reply) => {
      const address = (request.params as { to: string }).to === 'trusted' ? trusted : stranger;
      const e = await tlsForwarder.forward(request, reply, { name: 'b', address, heartbeatAt: 'now' }, { actingUser: 'user-1', vm: 'web' }).catch((x: unknown) => x);
      if (e) return { error: errorOf(e).message };
      return reply;
    });
    expect((await app.inject({ method: 'GET', url: '/trusted' })).body).toBe('from b');
    expect((await app.inject({ method: 'GET', url: '/stranger' })).json<{ error: string }>().error).toMatch(/cannot be reached at https:.*certificate/);
  }, 60_000);
});
