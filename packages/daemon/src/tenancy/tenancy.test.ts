import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/open-database.js';
import { Authenticator, rootPrincipal } from './authenticator.js';
import { Authorizer } from './authorizer.js';
import { ProjectRepo } from './project-repo.js';
import { checkQuota } from './quota.js';
import { defaultProjectId, runInScope, runUnscoped, scopedProjectId } from './request-scope.js';
import { hashSecret, newTokenSecret, secretMatches, tokenIdOf } from './token-secret.js';
import { UserRepo } from './user-repo.js';

let dir: string;
let db: Db;
let users: UserRepo;
let projects: ProjectRepo;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-tenancy-'));
  db = await openDatabase(join(dir, 'herd.db'));
  users = new UserRepo(db);
  projects = new ProjectRepo(db);
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('token secrets', () => {
  it('name their token, are kept only as a hash, and match in constant time', () => {
    const id = '6f1c2a4e-9b1d-4c55-8a3e-2f0d5b7c9e10';
    const secret = newTokenSecret(id);
    expect(secret).toMatch(/^herd_6f1c2a4e9b1d4c558a3e2f0d5b7c9e10_[A-Za-z0-9_-]{43}$/);
    expect(tokenIdOf(secret)).toBe(id);
    expect(secretMatches(secret, hashSecret(secret))).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}x`, hashSecret(secret))).toBe(false);
    expect(tokenIdOf('Bearer nonsense')).toBeUndefined();
  });
});

describe('authentication', () => {
  it('knows a token, refuses revoked and expired ones, and trusts only root (or the daemon user) on the socket', async () => {
    const auth = new Authenticator(users, 1000);
    const alice = await users.create('alice', false);
    const { secret } = await users.createToken(alice.id, 'laptop', null);
    expect(await auth.authenticate({ authorization: `Bearer ${secret}` })).toMatchObject({ userName: 'alice', clusterAdmin: false, via: 'token' });
    const old = await users.createToken(alice.id, 'old', new Date(Date.now() - 1000).toISOString());
    await expect(auth.authenticate({ authorization: `Bearer ${old.secret}` })).rejects.toMatchObject({ code: 'unauthenticated', message: expect.stringContaining("token 'old' expired") });
    await users.revokeToken((await users.findToken(alice.id, 'laptop')).id);
    await expect(auth.authenticate({ authorization: `Bearer ${secret}` })).rejects.toMatchObject({ message: expect.stringContaining("token 'laptop' was revoked") });
    await expect(auth.authenticate({ authorization: 'Basic abc' })).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(await auth.authenticate({ peerUid: 0 })).toBe(rootPrincipal);
    expect(await auth.authenticate({ peerUid: 1000 })).toBe(rootPrincipal);
    await expect(auth.authenticate({ peerUid: 1001 })).rejects.toMatchObject({ message: expect.stringContaining('uid 1001 on the local socket is not root') });
    await expect(auth.authenticate({})).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});

describe('authorization', () => {
  it("picks the caller's project, hides projects they have no role in, and checks the role", async () => {
    const authz = new Authorizer(projects);
    const web = await projects.create('web', '', {});
    await projects.create('db', '', {});
    const bob = await users.create('bob', false);
    await projects.setMember(web.id, bob.id, 'operator');
    const p = await new Authenticator(users, 0).principalOf(bob.id, 'token');
    // Bob's only project is his default.
    expect((await authz.authorize('listVms', p, {}, undefined)).project?.name).toBe('web');
    expect((await authz.authorize('startVm', p, { id: 'x' }, 'web')).project?.name).toBe('web');
    await expect(authz.authorize('deleteVm', p, { id: 'x' }, 'web')).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('needs the admin role and bob has operator') });
    await expect(authz.authorize('listVms', p, {}, 'db')).rejects.toMatchObject({ code: 'not_found' });
    await expect(authz.authorize('listVms', p, {}, 'nope')).rejects.toMatchObject({ code: 'not_found' });
    await expect(authz.authorize('createPool', p, {}, undefined)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(authz.authorize('listTokens', p, { id: 'alice' }, undefined)).rejects.toMatchObject({ code: 'forbidden' });
    expect(await authz.authorize('listTokens', p, { id: 'bob' }, undefined)).toMatchObject({ principal: p });
    // Two projects and no role in default: say which.
    await projects.setMember((await projects.find('db')).id, bob.id, 'viewer');
    const p2 = await new Authenticator(users, 0).principalOf(bob.id, 'token');
    await expect(authz.authorize('listVms', p2, {}, undefined)).rejects.toMatchObject({ code: 'project_required', message: expect.stringContaining('db, web') });
    // Cluster admins act in default unless they name a project.
    expect((await authz.authorize('listVms', rootPrincipal, {}, undefined)).project?.id).toBe(defaultProjectId);
  });
});

describe('quotas', () => {
  it('pass what fits, refuse what does not, and ignore absent or null limits', () => {
    const use = { vms: 2, vcpus: 4, memoryMiB: 512, diskGiB: 1.5, networks: 0 };
    expect(() => checkQuota('p', { vms: 3, vcpus: null }, use, { vms: 1, vcpus: 100 })).not.toThrow();
    expect(() => checkQuota('p', { vms: 2 }, use, { vms: 1 })).toThrow("project 'p' would exceed its VM count limit: the limit is 2, it uses 2 and this asks for 1");
    expect(() => checkQuota('p', { diskGiB: 2 }, use, { diskGiB: 0.5 })).not.toThrow();
    expect(() => checkQuota('p', { diskGiB: 2 }, use, { diskGiB: 0.6 })).toThrow(/disk \(GiB\)/);
  });
});

describe('request scope', () => {
  it('reaches what a request starts, and not what runs outside it', async () => {
    const scope = { principal: rootPrincipal, project: { id: 'p1', name: 'one' } };
    await runInScope(scope, async () => {
      await Promise.resolve();
      expect(scopedProjectId()).toBe('p1');
      runUnscoped(() => expect(scopedProjectId()).toBeUndefined());
    });
    expect(scopedProjectId()).toBeUndefined();
  });
});
