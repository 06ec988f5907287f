import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleProject } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const web = sampleProject();
const db = sampleProject({
  name: 'db',
  limits: { vms: null, vcpus: null, memoryMiB: null, diskGiB: 100, networks: 2 },
  usage: { vms: 0, vcpus: 0, memoryMiB: 0, diskGiB: 0, networks: 0 },
  members: [],
});

describe('herd project list|show', () => {
  it('lists each use against its limit, - for no limit, and the member count', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/projects': (_q, res) => sendJson(res, 200, [web, db]) });
    const r = await runCli(['project', 'list'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'NAME   VMS   VCPUS          MEMORY          DISK   NETWORKS   MEMBERS',
        'web    3/5     6/8   1.5 GiB/8 GiB    10.5 GiB/-        1/-         2',
        'db     0/-     0/-           0 B/-   0 B/100 GiB        0/2         0',
        '',
      ].join('\n'),
    );
  });

  it('prints the projects as the daemon sent them with -o json', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/projects': (_q, res) => sendJson(res, 200, [web]) });
    const r = await runCli(['project', 'list', '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([web]);
  });

  it('shows use against limits with a bar per resource, and the members with their roles', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/projects/web': (_q, res) => sendJson(res, 200, web) });
    const r = await runCli(['project', 'show', 'web'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^description:\s+the web team$/m);
    expect(r.stdout).toContain(
      [
        'RESOURCE       USED   LIMIT   USE',
        'vms               3       5   ████████████░░░░░░░░  60%',
        'vcpus             6       8   ███████████████░░░░░  75%',
        'memory      1.5 GiB   8 GiB   ████░░░░░░░░░░░░░░░░  19%',
        'disk       10.5 GiB       -   no limit',
        'networks          1       -   no limit',
        '',
        'MEMBER   ROLE',
        'alice    admin',
        'bob      viewer',
        '',
      ].join('\n'),
    );
  });

  it('shows a full bar for a limit of 0 and says when there are no members', async () => {
    const none = sampleProject({ limits: { ...web.limits, networks: 0 }, members: [] });
    daemon = await FakeDaemon.start({ 'GET /api/v1/projects/web': (_q, res) => sendJson(res, 200, none) });
    const r = await runCli(['project', 'show', 'web'], { url: daemon.url });
    expect(r.stdout).toMatch(/^networks\s+1\s+0\s+█{20} none allowed$/m);
    expect(r.stdout).toMatch(/\nno members \(cluster admins act in every project\)\n$/);
  });

  it('exits 3 for an unknown project, and 9 for one the caller has no role in', async () => {
    daemon = await FakeDaemon.start({
      'GET /api/v1/projects/nope': (_q, res) => sendError(res, 'not_found', { kind: 'project', name: 'nope' }),
      'GET /api/v1/projects/db': (_q, res) => sendError(res, 'forbidden', { who: "user 'bob'", action: 'read project', project: 'db', reason: 'bob has no role in it' }),
    });
    const missing = await runCli(['project', 'show', 'nope'], { url: daemon.url });
    expect(missing.code).toBe(3);
    const denied = await runCli(['project', 'show', 'db'], { url: daemon.url });
    expect(denied.code).toBe(9);
    expect(denied.stderr).toBe("herd: user 'bob' may not read project in project 'db': bob has no role in it\n");
  });

  it('exits 9 without a valid token', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/projects': (_q, res) => sendError(res, 'unauthenticated', {}) });
    const r = await runCli(['project', 'list'], { url: daemon.url });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/^herd: no API token was sent; send `Authorization: Bearer TOKEN`/);
  });
});

describe('herd project create|set-limits|delete', () => {
  it('converts sizes to MiB and GiB, and none to null', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/projects': (_q, res) => sendJson(res, 201, web) });
    const r = await runCli(
      ['project', 'create', 'web', '--description', 'the web team', '--max-vms', '5', '--max-vcpus', '8', '--max-memory', '8G', '--max-disk', '1T', '--max-networks', 'none'],
      { url: daemon.url },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/projects')[0]?.body).toEqual({
      name: 'web',
      description: 'the web team',
      limits: { vms: 5, vcpus: 8, memoryMiB: 8192, diskGiB: 1024, networks: null },
    });
    expect(r.stdout).toMatch(/^name:\s+web$/m);
    expect(r.stdout).toMatch(/^RESOURCE\s+USED\s+LIMIT\s+USE$/m);
  });

  it('reads bare numbers as MiB of memory and GiB of disk, and sends no limits when none are given', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/projects': (_q, res) => sendJson(res, 201, web) });
    await runCli(['project', 'create', 'web', '--max-memory', '512', '--max-disk', '20', '--max-vms', '0'], { url: daemon.url });
    await runCli(['project', 'create', 'db'], { url: daemon.url });
    expect(daemon.calls('POST', '/api/v1/projects').map((c) => c.body)).toEqual([
      { name: 'web', limits: { vms: 0, memoryMiB: 512, diskGiB: 20 } },
      { name: 'db' },
    ]);
  });

  it('sends only the limits given to set-limits, with none clearing one', async () => {
    daemon = await FakeDaemon.start({ 'PATCH /api/v1/projects/web': (_q, res) => sendJson(res, 200, web) });
    const r = await runCli(['project', 'set-limits', 'web', '--max-vcpus', '16', '--max-memory', 'NONE'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('PATCH', '/api/v1/projects/web')[0]?.body).toEqual({ limits: { vcpus: 16, memoryMiB: null } });
  });

  it.each([
    [['project', 'set-limits', 'web'], /say what to change: --max-vms/],
    [['project', 'create', 'web', '--max-disk', '1536M'], /whole number of GiB; '1536M' is not/],
    [['project', 'create', 'web', '--max-memory', '1.5k'], /whole number of MiB/],
    [['project', 'create', 'web', '--max-vms', '-1'], /'-1' is not a whole number/],
    [['project', 'create', 'web', '--max-vcpus', 'lots'], /'lots' is not a whole number/],
    [['project', 'create', 'Web'], /DNS label/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });

  it('exits 4 when the name is taken', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/projects': (_q, res) => sendError(res, 'name_taken', { kind: 'project', name: 'web' }) });
    const r = await runCli(['project', 'create', 'web'], { url: daemon.url });
    expect(r.code).toBe(4);
  });

  it('deletes a project, and exits 4 while it still owns things', async () => {
    daemon = await FakeDaemon.start({
      'DELETE /api/v1/projects/db': (_q, res) => sendJson(res, 200, db),
      'DELETE /api/v1/projects/web': (_q, res) => sendError(res, 'project_not_empty', { name: 'web', what: '3 VMs' }),
    });
    const ok = await runCli(['project', 'delete', 'db'], { url: daemon.url });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("project 'db' deleted\n");
    const busy = await runCli(['project', 'delete', 'web'], { url: daemon.url });
    expect(busy.code).toBe(4);
    expect(busy.stderr).toBe("herd: project 'web' still has 3 VMs; delete them first\n");
  });

  it('exits 9 when a non-admin creates a project', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/projects': (_q, res) => sendError(res, 'forbidden', { who: "user 'bob'", action: 'create projects', reason: 'only cluster admins may' }) });
    const r = await runCli(['project', 'create', 'x'], { url: daemon.url });
    expect(r.code).toBe(9);
  });
});

describe('herd project member set|remove', () => {
  it('puts the role for the user', async () => {
    daemon = await FakeDaemon.start({ 'PUT /api/v1/projects/web/members/carol': (_q, res) => sendJson(res, 200, web) });
    const r = await runCli(['project', 'member', 'set', 'web', 'carol', 'operator'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('PUT', '/api/v1/projects/web/members/carol')[0]?.body).toEqual({ role: 'operator' });
    expect(r.stdout).toBe("user 'carol' is operator in project 'web'\n");
  });

  it('prints the project with -o json', async () => {
    daemon = await FakeDaemon.start({ 'PUT /api/v1/projects/web/members/carol': (_q, res) => sendJson(res, 200, web) });
    const r = await runCli(['-o', 'json', 'project', 'member', 'set', 'web', 'carol', 'viewer'], { url: daemon.url });
    expect(JSON.parse(r.stdout)).toEqual(web);
  });

  it('exits 2 for a role that does not exist', async () => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(['project', 'member', 'set', 'web', 'carol', 'owner'], { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are viewer, operator, admin/);
    expect(daemon.requests).toEqual([]);
  });

  it('removes a member, and exits 3 for an unknown user', async () => {
    daemon = await FakeDaemon.start({
      'DELETE /api/v1/projects/web/members/bob': (_q, res) => sendJson(res, 200, web),
      'DELETE /api/v1/projects/web/members/zed': (_q, res) => sendError(res, 'not_found', { kind: 'user', name: 'zed' }),
    });
    const r = await runCli(['project', 'member', 'remove', 'web', 'bob'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("user 'bob' has no role in project 'web' any more\n");
    expect((await runCli(['project', 'member', 'remove', 'web', 'zed'], { url: daemon.url })).code).toBe(3);
  });
});
