import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleWhoami } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

describe('herd whoami', () => {
  it('shows the user, how the daemon knows them, and their roles', async () => {
    const who = sampleWhoami({ user: 'alice', clusterAdmin: false, roles: [{ project: 'web', role: 'operator' }] });
    daemon = await FakeDaemon.start({ 'GET /api/v1/auth/whoami': (_q, res) => sendJson(res, 200, who) });
    const r = await runCli(['whoami'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(['user:           alice', 'via:            token', 'cluster admin:  no', 'roles:          web:operator', ''].join('\n'));
  });

  it('says when root on the local socket needs no token', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/auth/whoami': (_q, res) => sendJson(res, 200, sampleWhoami({ user: 'root', via: 'unix-root' })) });
    const r = await runCli(['whoami'], { url: daemon.url });
    expect(r.stdout).toMatch(/^via:\s+unix-root \(root on the local socket, no token\)$/m);
  });

  it('sends the token given, and prints the answer with -o json', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/auth/whoami': (_q, res) => sendJson(res, 200, sampleWhoami()) });
    const r = await runCli(['whoami', '-o', 'json'], { url: daemon.url, env: { HERD_TOKEN: 'herd_abc' } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(sampleWhoami());
    expect(daemon.requests[0]?.headers.authorization).toBe('Bearer herd_abc');
  });

  it('exits 9 without a valid token', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/auth/whoami': (_q, res) => sendError(res, 'unauthenticated', {}) });
    const r = await runCli(['whoami'], { url: daemon.url });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/herd user token create/);
  });
});
