// The HTTP hook that feeds the audit log, through inject() on a small app with a real log.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HerdError } from '@herd/api';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAuditHook } from '../http/audit-hook.js';
import { setRequestScope } from '../http/request-scope-of.js';
import { openDatabase, type Db } from '../store/open-database.js';
import { AuditLog } from './audit-log.js';

let dir: string;
let db: Db;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-audit-hook-'));
  db = await openDatabase(join(dir, 'herd.db'));
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** An app with herd's error shape, a fake authentication (header x-user), and two routes. */
async function appWith(audit: AuditLog): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((e, _req, reply) => {
    const herd = e instanceof HerdError ? e : new HerdError('internal', { reason: e.message });
    void reply.code(herd.status).send(herd.toBody());
  });
  app.addHook('onRequest', async (request) => {
    const user = request.headers['x-user'];
    if (user === undefined) return;
    if (user === 'eve') throw new HerdError('forbidden', { who: 'eve', action: 'this', reason: 'no role' });
    setRequestScope(request, { principal: { userId: 'u1', userName: String(user), clusterAdmin: false, via: 'token', roles: new Map() }, project: { id: 'p1', name: 'web' } });
  });
  registerAuditHook(app, audit, pino({ level: 'silent' }));
  app.post('/api/v1/vms/:id/snapshots/:snapshot', { config: { routeId: 'createSnapshot' } }, async (_req, reply) => reply.code(201).send({}));
  app.get('/api/v1/vms', { config: { routeId: 'listVms' } }, async () => []);
  await app.ready();
  return app;
}

const records = (audit: AuditLog) => audit.list();

describe('the audit hook', () => {
  it('records state-changing requests with who, project, action, target and redacted params', async () => {
    const audit = new AuditLog(db, join(dir, 'audit.head'));
    const app = await appWith(audit);
    const r = await app.inject({ method: 'POST', url: '/api/v1/vms/web1/snapshots/s1?wait=true', headers: { 'x-user': 'alice' }, payload: { memory: true, password: 'hunter2' } });
    expect(r.statusCode).toBe(201);
    await app.inject({ method: 'GET', url: '/api/v1/vms', headers: { 'x-user': 'alice' } });
    await vi.waitFor(async () => expect(await records(audit)).toHaveLength(1));
    const [rec] = await records(audit);
    expect(rec).toMatchObject({
      user: 'alice',
      project: 'web',
      action: 'createSnapshot',
      method: 'POST',
      path: '/api/v1/vms/web1/snapshots/s1',
      target: 'web1/s1',
      params: { query: { wait: 'true' }, body: { memory: true, password: '[redacted]' } },
      status: 201,
      result: 'ok',
    });
  });

  it('records refused and unknown requests as errors, by anonymous when nobody was authenticated', async () => {
    const audit = new AuditLog(db, join(dir, 'audit.head'));
    const app = await appWith(audit);
    expect((await app.inject({ method: 'POST', url: '/api/v1/vms/web1/snapshots/s1', headers: { 'x-user': 'eve' }, payload: {} })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/nothing/here' })).statusCode).toBe(404);
    await vi.waitFor(async () => expect(await records(audit)).toHaveLength(2));
    expect((await records(audit)).map((x) => [x.user, x.action, x.status, x.result])).toEqual([
      ['anonymous', 'unknown', 404, 'error'],
      ['anonymous', 'createSnapshot', 403, 'error'],
    ]);
  });

  it('fails closed while the log cannot be written, and opens again once it can', async () => {
    const audit = new AuditLog(db, join(dir, 'later', 'audit.head'));
    const app = await appWith(audit);
    const post = () => app.inject({ method: 'POST', url: '/api/v1/vms/web1/snapshots/s1', headers: { 'x-user': 'alice' }, payload: {} });
    expect((await post()).statusCode).toBe(201);
    await vi.waitFor(() => expect(audit.failure).toBeDefined());
    const refused = await post();
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: 'audit_unavailable' } });
    mkdirSync(join(dir, 'later'));
    expect((await post()).statusCode).toBe(503);
    await vi.waitFor(() => expect(audit.failure).toBeUndefined());
    expect((await post()).statusCode).toBe(201);
    await vi.waitFor(async () => expect(await records(audit)).toHaveLength(4));
    expect((await audit.verify()).ok).toBe(true);
  });
});
