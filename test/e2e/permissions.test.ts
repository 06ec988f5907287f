/**
 * The permission matrix: every route of the route table, called by no one, by each role of
 * project `alpha`, by an admin of project `beta` (the wrong project) and by a cluster admin.
 * Refusals are 401 (no token), 403 (a role too weak) or 404 (another project's resources, so
 * that names do not leak), and refused requests change nothing.
 */
import { projectRoles, roleAllows, routeAccess, routes, type ProjectRole, type RouteDef, type RouteId } from '@herd/api';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';

const daemon = new DaemonProcess();
const tokens: Record<string, string> = {};
let opId = '';

/** What the cluster admin sees of both projects: must be the same before and after the refused requests. */
async function state() {
  const out: Record<string, unknown> = {};
  for (const project of ['alpha', 'beta', 'default']) {
    const c = daemon.clientWith(daemon.token, project);
    out[project] = {
      vms: (await c.call('listVms')).map((v) => `${v.name}:${v.state}:${v.desiredState}`),
      volumes: (await c.call('listVolumes')).map((v) => `${v.name}:${v.sizeBytes}:${v.vm ?? ''}`),
      images: (await c.call('listImages')).map((i) => i.name),
      groups: (await c.call('listSecurityGroups')).map((g) => `${g.name}:${g.rules.length}`),
      snapshots: (await c.call('listSnapshots', { params: { id: project === 'alpha' ? 'a-vm' : 'b-vm' } }).catch(() => [])).map((s) => s.name),
    };
  }
  out.projects = (await daemon.client.call('listProjects')).map((p) => `${p.name}:${JSON.stringify(p.limits)}:${p.members.map((m) => `${m.user}=${m.role}`).join(',')}`);
  out.users = (await daemon.client.call('listUsers')).map((u) => `${u.name}:${u.clusterAdmin}`);
  out.tokens = (await daemon.client.call('listTokens', { params: { id: 'a-viewer' } })).map((t) => `${t.name}:${t.revokedAt ?? ''}`);
  return out;
}

async function makeUser(name: string, project: string | undefined, role: ProjectRole | undefined, clusterAdmin = false) {
  await daemon.client.call('createUser', { body: { name, clusterAdmin } });
  if (project && role) await daemon.client.call('setProjectMember', { params: { id: project, user: name }, body: { role } });
  tokens[name] = (await daemon.client.call('createToken', { params: { id: name }, body: { name: 'matrix' } })).secret;
}

beforeAll(async () => {
  await daemon.start();
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  for (const name of ['alpha', 'beta']) await daemon.client.call('createProject', { body: { name } });
  for (const role of projectRoles) await makeUser(`a-${role}`, 'alpha', role);
  await makeUser('b-admin', 'beta', 'admin');
  await makeUser('other-admin', undefined, undefined, true);
  const alpha = daemon.clientWith(daemon.token, 'alpha');
  const created = await alpha.call('createVm', { body: { name: 'a-vm', image: 'tiny', memoryMiB: 128 }, query: { wait: true } });
  opId = created.id;
  await alpha.call('createSnapshot', { params: { id: 'a-vm' }, body: { name: 's1' }, query: { wait: true } });
  await alpha.call('createVolume', { body: { name: 'a-vol', sizeBytes: 16 * 1024 * 1024 } });
  await alpha.call('createSecurityGroup', { body: { name: 'a-sg' } });
  await alpha.call('createImageFromVm', { body: { vm: 'a-vm', name: 'a-img' }, query: { wait: true } });
  const beta = daemon.clientWith(daemon.token, 'beta');
  await beta.call('createVm', { body: { name: 'b-vm', image: 'tiny', memoryMiB: 128 }, query: { wait: true } });
}, 300_000);

afterAll(async () => {
  for (const project of ['alpha', 'beta']) {
    const c = daemon.clientWith(daemon.token, project);
    for (const vm of await c.call('listVms')) await c.call('deleteVm', { params: { id: vm.id }, query: { wait: true } }).catch(() => undefined);
  }
  await daemon.destroy();
});

/** Path parameters naming real resources of project alpha. */
function realParams(route: RouteDef, caller?: string): Record<string, string> {
  const p = route.path;
  const id = p.startsWith('/vms/')
    ? 'a-vm'
    : p.startsWith('/volumes/')
      ? 'a-vol'
      : p.startsWith('/images/')
        ? 'a-img'
        : p.startsWith('/security-groups/')
          ? 'a-sg'
          : p.startsWith('/projects/')
            ? 'alpha'
            : p.startsWith('/users/')
              ? (caller ?? 'a-viewer')
              : p.startsWith('/operations/')
                ? opId
                : p.startsWith('/pools/')
                  ? 'default'
                  : p.startsWith('/hosts/')
                    ? 'local'
                    : 'no-such-thing';
  return { id, snapshot: 's1', nic: 'no-such-nic', rule: 'no-such-rule', user: 'a-viewer', token: 'no-such-token' };
}

/** Path parameters of a DELETE that an allowed caller may send without deleting anything. */
function missingParams(route: RouteDef, caller: string): Record<string, string> {
  const id = route.path.startsWith('/users/') ? caller : route.path.startsWith('/projects/') ? 'alpha' : 'no-such-thing';
  return { id, snapshot: 'no-such-snapshot', nic: 'no-such-nic', rule: 'no-such-rule', user: 'no-such-user', token: 'no-such-token' };
}

/** The status a WebSocket upgrade of `path` gets with `headers` (101 when it is accepted). */
function upgradeStatus(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${daemon.url}/api/v1${path}`, {
      agent: false,
      headers: { ...headers, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends route `id` as `token` (none: anonymous) in `project`. */
async function send(id: RouteId, token: string | undefined, project: string | undefined, params: Record<string, string>, body: unknown) {
  const route: RouteDef = routes[id];
  const path = route.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (project) headers['x-herd-project'] = project;
  let payload: string | undefined;
  if (route.method !== 'GET' && route.method !== 'DELETE') {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${daemon.url}/api/v1${path}`, { method: route.method, headers, body: payload });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    // not JSON (console log, event stream)
  }
  return { status: res.status, code };
}

// A body no route accepts (unknown property), so that allowed callers are stopped by validation
// and change nothing; refused callers must be refused before it is even looked at.
const invalidBody = { 'matrix-probe': true };
const ids = Object.keys(routes) as RouteId[];

describe('permission matrix', () => {
  it('declares access for every route, and the OpenAPI document shows it', async () => {
    expect(Object.keys(routeAccess).sort()).toEqual([...ids].sort());
    const doc = (await (await fetch(`${daemon.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-herd-access': unknown; security: unknown[] }>> };
    for (const id of ids) {
      const route: RouteDef = routes[id];
      const op = doc.paths[`/api/v1${route.path}`]![route.method.toLowerCase()]!;
      expect(op['x-herd-access'], id).toEqual(routeAccess[id]);
    }
  });

  it('refuses every route but health without a token (401), and with a bad or revoked one', async () => {
    const revoked = (await daemon.client.call('createToken', { params: { id: 'a-admin' }, body: { name: 'gone' } })).secret;
    await daemon.client.call('revokeToken', { params: { id: 'a-admin', token: 'gone' } });
    for (const id of ids) {
      const params = realParams(routes[id]);
      const anonymous = await send(id, undefined, 'alpha', params, invalidBody);
      const forged = await send(id, `herd_${'0'.repeat(32)}_${'A'.repeat(43)}`, 'alpha', params, invalidBody);
      const old = await send(id, revoked, 'alpha', params, invalidBody);
      if (routeAccess[id].scope === 'public') {
        expect(anonymous.status, id).toBe(200);
        continue;
      }
      for (const r of [anonymous, forged, old]) expect(`${id} ${r.status} ${r.code}`).toBe(`${id} 401 unauthenticated`);
    }
  });

  it('lets each role of the project do what its role allows and nothing more (403)', async () => {
    const before = await state();
    for (const role of projectRoles) {
      const user = `a-${role}`;
      for (const id of ids) {
        const access = routeAccess[id];
        const route: RouteDef = routes[id];
        // Allowed DELETEs would delete (they have no body to fail validation): aim them at nothing.
        const params = route.method === 'DELETE' ? missingParams(route, user) : realParams(route, user);
        const r = await send(id, tokens[user], 'alpha', params, invalidBody);
        const allowed =
          access.scope === 'public' || access.scope === 'authenticated' || (access.scope === 'self' && params.id === user) || (access.scope === 'project' && roleAllows(role, access.need));
        if (allowed) expect([401, 403], `${user} ${id}: ${r.status} ${r.code}`).not.toContain(r.status);
        else expect(`${user} ${id} ${r.status} ${r.code}`).toBe(`${user} ${id} 403 forbidden`);
      }
    }
    // Users may see themselves, not others.
    expect((await send('getUser', tokens['a-viewer'], undefined, { id: 'a-admin' }, undefined)).status).toBe(403);
    expect(await state()).toEqual(before);
  });

  it("answers 404 for another project's resources and for projects the caller has no role in, and changes nothing", async () => {
    const before = await state();
    for (const id of ids) {
      const access = routeAccess[id];
      if (access.scope !== 'project') continue;
      const params = realParams(routes[id]);
      // Asking for project alpha by name: it does not exist for b-admin.
      const named = await send(id, tokens['b-admin'], 'alpha', params, {});
      expect(`${id} ${named.status} ${named.code}`).toBe(`${id} 404 not_found`);
      // Acting in beta on alpha's resources by name: they do not exist there. Routes with a
      // body may fail validation first (400), which says nothing about alpha either.
      const route: RouteDef = routes[id];
      if (!/\{id\}/.test(route.path) || access.projectParam) continue;
      const crossed = await send(id, tokens['b-admin'], 'beta', params, {});
      expect([400, 404], `${id} ${crossed.status} ${crossed.code}`).toContain(crossed.status);
      if (route.method === 'GET') expect(`${id} ${crossed.status}`).toBe(`${id} 404`);
    }
    expect(await state()).toEqual(before);
  });

  it("lists only the caller's project, and shares the default project's images read-only", async () => {
    const beta = daemon.clientWith(tokens['b-admin']);
    expect((await beta.call('listVms')).map((v) => v.name)).toEqual(['b-vm']);
    expect((await beta.call('listImages')).map((i) => i.name)).toEqual(['tiny']);
    expect((await beta.call('listOperations')).every((o) => o.target.name !== 'a-vm')).toBe(true);
    expect((await beta.call('listEvents')).some((e) => e.target.name === 'a-vm' || e.target.name === 'a-vol')).toBe(false);
    await expect(beta.call('deleteImage', { params: { id: 'tiny' } })).rejects.toMatchObject({ code: 'forbidden' });
    expect((await beta.call('listProjects')).map((p) => p.name)).toEqual(['beta']);
    const alphaViewer = daemon.clientWith(tokens['a-viewer']);
    expect((await alphaViewer.call('getWhoami')).roles).toEqual([{ project: 'alpha', role: 'viewer' }]);
    expect((await alphaViewer.call('listVms')).map((v) => v.name)).toEqual(['a-vm']);
    // A cluster admin acts in `default` unless they name a project.
    const other = daemon.clientWith(tokens['other-admin']);
    expect((await other.call('listVms')).map((v) => v.name)).toEqual([]);
  });

  it('keeps host paths to cluster admins', async () => {
    const admin = daemon.clientWith(tokens['a-admin'], 'alpha');
    await expect(admin.call('importImage', { body: { name: 'stolen', path: '/etc/shadow' } })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(admin.call('restoreBackup', { body: { archive: '/etc/passwd', name: 'x' } })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(admin.call('createBackup', { params: { id: 'a-vm' }, body: { to: '/tmp' } })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('binds console tickets to the VM and the user who asked', async () => {
    const operator = daemon.clientWith(tokens['a-operator'], 'alpha');
    const { ticket } = await operator.call('createConsoleTicket', { params: { id: 'a-vm' }, body: { console: 'serial' } });
    // Another user's token with the ticket: refused, and the ticket is not spent by it; its own
    // user opens the console with it once, and only once.
    expect(await upgradeStatus(`/vms/a-vm/console?ticket=${ticket}`, { authorization: `Bearer ${tokens['a-admin']}` })).toBe(401);
    expect(await upgradeStatus(`/vms/a-vm/console?ticket=${ticket}`, {})).toBe(101);
    expect(await upgradeStatus(`/vms/a-vm/console?ticket=${ticket}`, {})).toBe(401);
    // A ticket for another VM's console does not open this one.
    const other = await operator.call('createConsoleTicket', { params: { id: 'a-vm' }, body: { console: 'vnc' } }).catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 'display_unavailable' });
    // A viewer may not ask for one.
    await expect(daemon.clientWith(tokens['a-viewer'], 'alpha').call('createConsoleTicket', { params: { id: 'a-vm' }, body: { console: 'serial' } })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
