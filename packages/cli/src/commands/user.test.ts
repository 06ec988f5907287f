import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleToken, sampleTokenCreated, sampleUser } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const alice = sampleUser();
const admin = sampleUser({ id: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9', name: 'admin', clusterAdmin: true, roles: [] });
const day = 86_400_000;
const iso = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();

describe('herd user list|show|create|delete', () => {
  it('lists users with whether each is a cluster admin and their roles', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/users': (_q, res) => sendJson(res, 200, [alice, admin]) });
    const r = await runCli(['user', 'list'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(['NAME    CLUSTER-ADMIN   ROLES', 'alice   no              web:admin, db:viewer', 'admin   yes             -', ''].join('\n'));
  });

  it('prints the users as the daemon sent them with -o json', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/users': (_q, res) => sendJson(res, 200, [alice]) });
    const r = await runCli(['-o', 'json', 'user', 'list'], { url: daemon.url });
    expect(JSON.parse(r.stdout)).toEqual([alice]);
  });

  it('shows a user', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/users/admin': (_q, res) => sendJson(res, 200, admin) });
    const r = await runCli(['user', 'show', 'admin'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cluster admin:\s+yes \(may do anything in every project/m);
    expect(r.stdout).toMatch(/^roles:\s+-$/m);
  });

  it('creates a user, a cluster admin only when asked', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/users': (_q, res) => sendJson(res, 201, admin) });
    await runCli(['user', 'create', 'carol'], { url: daemon.url });
    const r = await runCli(['user', 'create', 'admin', '--cluster-admin'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/users').map((c) => c.body)).toEqual([{ name: 'carol' }, { name: 'admin', clusterAdmin: true }]);
    expect(r.stdout).toMatch(/^name:\s+admin$/m);
  });

  it('deletes a user', async () => {
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/users/alice': (_q, res) => sendJson(res, 200, alice) });
    const r = await runCli(['user', 'delete', 'alice'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("user 'alice' deleted; their tokens no longer work\n");
  });

  it('exits 3 for an unknown user, 9 when not a cluster admin, 9 without a token', async () => {
    daemon = await FakeDaemon.start({
      'GET /api/v1/users/zed': (_q, res) => sendError(res, 'not_found', { kind: 'user', name: 'zed' }),
      'POST /api/v1/users': (_q, res) => sendError(res, 'forbidden', { who: "user 'alice'", action: 'manage users', reason: 'only cluster admins may' }),
      'GET /api/v1/users': (_q, res) => sendError(res, 'unauthenticated', { reason: 'the token is revoked' }),
    });
    expect((await runCli(['user', 'show', 'zed'], { url: daemon.url })).code).toBe(3);
    const denied = await runCli(['user', 'create', 'bob'], { url: daemon.url });
    expect(denied.code).toBe(9);
    expect(denied.stderr).toBe("herd: user 'alice' may not manage users: only cluster admins may\n");
    const unknown = await runCli(['user', 'list'], { url: daemon.url });
    expect(unknown.code).toBe(9);
    expect(unknown.stderr).toMatch(/^herd: the token is revoked; send `Authorization: Bearer TOKEN`/);
  });
});

describe('herd user token create|list|revoke', () => {
  it('prints the secret once, set apart, with a warning that it is not shown again', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/users/alice/tokens': (_q, res) => sendJson(res, 201, sampleTokenCreated()) });
    const r = await runCli(['user', 'token', 'create', 'alice', 'ci'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/users/alice/tokens')[0]?.body).toEqual({ name: 'ci' });
    expect(r.stdout).toMatch(/^expires:\s+never$/m);
    expect(r.stdout).toContain('\n\n    herd_s3cr3t-0123456789abcdef\n\n');
    expect(r.stdout).toMatch(/it is not shown again/);
  });

  it('sends --expires-in-days, and prints the whole object with -o json', async () => {
    const created = sampleTokenCreated({ expiresAt: iso(30 * day) });
    daemon = await FakeDaemon.start({ 'POST /api/v1/users/alice/tokens': (_q, res) => sendJson(res, 201, created) });
    const r = await runCli(['user', 'token', 'create', 'alice', 'ci', '--expires-in-days', '30', '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/users/alice/tokens')[0]?.body).toEqual({ name: 'ci', expiresInDays: 30 });
    expect(JSON.parse(r.stdout)).toEqual(created);
  });

  it.each([
    [['user', 'token', 'create', 'alice', 'ci', '--expires-in-days', '0'], /'0' must be 1 or more/],
    [['user', 'token', 'create', 'alice', 'My Laptop'], /DNS label/],
    [['user', 'token', 'create', 'alice'], /missing required argument 'name'/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });

  it('lists tokens with their ages and states', async () => {
    const tokens = [
      sampleToken({ createdAt: iso(-3 * day), expiresAt: iso(29 * day + 3_600_000), lastUsedAt: iso(-300_000) }),
      sampleToken({ name: 'old', createdAt: iso(-10 * day), revokedAt: iso(-day) }),
      sampleToken({ name: 'ci', createdAt: iso(-40 * day), expiresAt: iso(-5 * day) }),
    ];
    daemon = await FakeDaemon.start({ 'GET /api/v1/users/alice/tokens': (_q, res) => sendJson(res, 200, tokens) });
    const r = await runCli(['user', 'token', 'list', 'alice'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'NAME     CREATED   EXPIRES   LAST-USED   STATE',
        'laptop   3d ago    in 29d    5m ago      active',
        'old      10d ago   never     never       revoked',
        'ci       40d ago   5d ago    never       expired',
        '',
      ].join('\n'),
    );
  });

  it('revokes a token', async () => {
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/users/alice/tokens/laptop': (_q, res) => sendJson(res, 200, sampleToken({ revokedAt: iso(0) })) });
    const r = await runCli(['user', 'token', 'revoke', 'alice', 'laptop'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("token 'laptop' of user 'alice' revoked\n");
  });

  it("exits 9 for another user's tokens and 3 for an unknown token", async () => {
    daemon = await FakeDaemon.start({
      'GET /api/v1/users/admin/tokens': (_q, res) => sendError(res, 'forbidden', { who: "user 'alice'", action: "list admin's tokens", reason: 'only your own, or as a cluster admin' }),
      'DELETE /api/v1/users/alice/tokens/nope': (_q, res) => sendError(res, 'not_found', { kind: 'token', name: 'nope' }),
    });
    expect((await runCli(['user', 'token', 'list', 'admin'], { url: daemon.url })).code).toBe(9);
    expect((await runCli(['user', 'token', 'revoke', 'alice', 'nope'], { url: daemon.url })).code).toBe(3);
  });
});
