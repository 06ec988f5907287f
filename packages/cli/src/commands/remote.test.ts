import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, type RunOptions } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { makeTestCertificates, type TestCertificates } from '../test-support/test-certificates.js';

let dir: string;
let config: string;
let tls: TestCertificates;
const daemons: FakeDaemon[] = [];

beforeAll(() => {
  ensureBuilt();
  tls = makeTestCertificates();
}, 120_000);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'herd-remote-'));
  config = join(dir, 'cfg', 'config.json');
});
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.close()));
  rmSync(dir, { recursive: true, force: true });
});

const herd = (args: string[], options: RunOptions = {}) => runCli(args, { ...options, env: { HERD_CONFIG: config, ...options.env } });
const stored = () => JSON.parse(readFileSync(config, 'utf8')) as { current?: string; remotes: Record<string, Record<string, string>> };
const routes = {
  'GET /api/v1/health': (_q: unknown, res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, { ok: true, version: '0.1.0' }),
  'GET /api/v1/operations': (_q: unknown, res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, []),
};
async function fake(listen: Parameters<typeof FakeDaemon.start>[1] = {}): Promise<FakeDaemon> {
  const d = await FakeDaemon.start(routes, listen);
  daemons.push(d);
  return d;
}

describe('herd remote', () => {
  it('adds a unix-socket remote, makes the first one current, and sends its token and project', async () => {
    const local = await fake({ socketPath: join(dir, 'herd.sock') });
    const add = await herd(['remote', 'add', 'here', local.url, '--token', 'tok-1', '--project', 'web']);
    expect([add.code, add.stderr]).toEqual([0, "added remote 'here', now the current remote\n"]);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(stored()).toEqual({ current: 'here', remotes: { here: { url: local.url, token: 'tok-1', project: 'web' } } });

    expect((await herd(['op', 'list'])).code).toBe(0);
    expect(local.requests.at(-1)?.headers).toMatchObject({ authorization: 'Bearer tok-1', 'x-herd-project': 'web' });
  });

  it('lets --token, --project and HERD_URL win over the current remote', async () => {
    const local = await fake({ socketPath: join(dir, 'herd.sock') });
    const other = await fake();
    await herd(['remote', 'add', 'here', local.url, '--token', 'tok-1', '--project', 'web']);

    await herd(['--token', 'tok-2', 'op', 'list'], { env: { HERD_PROJECT: 'db' } });
    expect(local.requests.at(-1)?.headers).toMatchObject({ authorization: 'Bearer tok-2', 'x-herd-project': 'db' });

    expect((await herd(['op', 'list'], { url: other.url })).code).toBe(0);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('lists remotes without their tokens, switches and removes them', async () => {
    await herd(['remote', 'add', 'lab', 'http://127.0.0.1:9']);
    await herd(['remote', 'add', 'here', 'unix:/var/lib/herd/herd.sock', '--project', 'web']);
    await herd(['remote', 'add', 'prod', 'http://127.0.0.1:10', '--token', 'secret-token']);
    const list = await herd(['remote', 'list']);
    expect(list.stdout).toBe(
      [
        'NAME   URL                            PROJECT   AUTH     CURRENT',
        'here   unix:/var/lib/herd/herd.sock   web       socket',
        'lab    http://127.0.0.1:9             -         none     *',
        'prod   http://127.0.0.1:10            -         token',
        '',
      ].join('\n'),
    );
    const json = await herd(['remote', 'list', '-o', 'json']);
    expect(json.stdout).not.toContain('secret-token');
    expect(JSON.parse(json.stdout)[2]).toEqual({ name: 'prod', url: 'http://127.0.0.1:10', project: null, auth: 'token', certificate: null, current: false });

    expect((await herd(['remote', 'switch', 'prod'])).code).toBe(0);
    expect(stored().current).toBe('prod');
    expect((await herd(['remote', 'remove', 'prod'])).stderr).toContain('there is no current remote now');
    expect(stored()).toEqual({ remotes: { lab: { url: 'http://127.0.0.1:9' }, here: { url: 'unix:/var/lib/herd/herd.sock', project: 'web' } } });
  });

  it('refuses bad names, bad URLs, taken names and unknown remotes with exit 2', async () => {
    await herd(['remote', 'add', 'lab', 'http://127.0.0.1:9']);
    const cases: [string[], RegExp][] = [
      [['remote', 'add', 'Bad_Name', 'http://x:1'], /'Bad_Name' is not a valid name/],
      [['remote', 'add', 'x', 'ftp://x'], /must start with http:\/\/, https:\/\/ or unix:/],
      [['remote', 'add', 'x', 'unix:relative.sock'], /names no absolute socket path/],
      [['remote', 'add', 'lab', 'http://127.0.0.1:8'], /there is a remote 'lab' already \(http:\/\/127\.0\.0\.1:9\)/],
      [['remote', 'switch', 'nope'], /there is no remote 'nope'; known remotes: lab/],
      [['remote', 'remove', 'nope'], /there is no remote 'nope'/],
    ];
    for (const [args, message] of cases) {
      const r = await herd(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('reports a malformed config file with exit 2', async () => {
    await herd(['remote', 'add', 'lab', 'http://127.0.0.1:9']);
    writeFileSync(config, '{"remotes": []}');
    const r = await herd(['op', 'list']);
    expect([r.code, r.stderr]).toEqual([2, `herd: the herd config ${config} is malformed: "remotes" is not an object; fix it or remove it\n`]);
  });
});

describe('herd remote add https', () => {
  it('shows the fingerprint and refuses without --accept-certificate when it cannot ask', async () => {
    const d = await fake({ tls });
    const r = await herd(['remote', 'add', 'prod', d.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SHA-256 fingerprint: ');
    expect(r.stderr).toContain('stdin is not a terminal; check the fingerprint above and pass --accept-certificate');
    expect(() => stored()).toThrow();
  });

  it("pins the daemon's CA once accepted, and then talks https with it", async () => {
    const d = await fake({ tls });
    const r = await herd(['remote', 'add', 'prod', d.url, '--accept-certificate']);
    expect(r.code, r.stderr).toBe(0);
    expect(stored().remotes.prod?.ca).toBe(tls.caCert.replace(/\n?$/, '\n'));
    expect(JSON.parse((await herd(['remote', 'list', '-o', 'json'])).stdout)[0].certificate).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect((await herd(['op', 'list'])).code).toBe(0);
    // Without the pin, the same daemon is not trusted.
    const bare = await herd(['op', 'list'], { url: d.url });
    expect(bare.code).toBe(6);
    expect(bare.stderr).toContain('its TLS certificate is not trusted here');
  });
});

describe('herd login', () => {
  const whoami = { user: 'alice', clusterAdmin: true, via: 'token', roles: [{ project: 'web', role: 'admin' }] };
  async function authDaemon(): Promise<FakeDaemon> {
    const d = await FakeDaemon.start({
      'GET /api/v1/auth/whoami': (q, res) => (q.headers.authorization === 'Bearer good' ? sendJson(res, 200, whoami) : sendError(res, 'unauthenticated', { reason: 'the token is not valid' })),
    });
    daemons.push(d);
    return d;
  }

  it('checks a piped token with the daemon and stores it', async () => {
    const d = await authDaemon();
    await herd(['remote', 'add', 'lab', d.url]);
    const r = await herd(['login'], { input: 'good\n' });
    expect([r.code, r.stdout]).toEqual([0, "logged in to 'lab' as alice (cluster admin); admin in web\n"]);
    expect(stored().remotes.lab?.token).toBe('good');
  });

  it('takes --token and a remote name, and stores nothing when the daemon refuses the token', async () => {
    const d = await authDaemon();
    await herd(['remote', 'add', 'lab', d.url]);
    await herd(['remote', 'add', 'other', 'http://127.0.0.1:9']);
    const bad = await herd(['login', 'lab', '--token', 'bad']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('the token is not valid');
    expect(stored().remotes.lab?.token).toBeUndefined();
    expect((await herd(['login', 'lab', '--token', 'good', '-o', 'json'])).stdout).toBe(`${JSON.stringify(whoami, null, 2)}\n`);
    expect(stored().remotes.lab?.token).toBe('good');
  });

  it('needs a remote and a token', async () => {
    expect((await herd(['login', '--token', 't'])).stderr).toBe('herd: there is no remote to log in to; add one with `herd remote add NAME URL` first\n');
    await herd(['remote', 'add', 'lab', 'http://127.0.0.1:9']);
    const r = await herd(['login'], { input: '' });
    expect([r.code, r.stderr]).toEqual([2, 'herd: no token was given: pass --token, type it when asked, or pipe it in\n']);
  });
});
