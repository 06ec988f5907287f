/**
 * Two real daemons on this machine, hosts `a` and `b` of one cluster sharing one database, each
 * on its own loopback port: a request for a VM that runs on b, sent to a, is answered by b, as
 * the same caller (and audited once, there); the serial console WebSocket opened on a reaches
 * the guest on b; forged and stale signatures are refused; a relayed request is never relayed
 * again; and with b down, a says so at once.
 */
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClusterHost, sharedSqlite } from '../../../../test/helpers/cluster-hosts.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import { ForwardSigner, forwardHeaders } from '../cluster/forward-signature.js';

const database = sharedSqlite();
let a: ClusterHost;
let b: ClusterHost;
let vmId: string;
let adminId: string;

beforeAll(async () => {
  // b starts alone, so the VM can only be placed there.
  b = await ClusterHost.create('b', database.path);
  await b.join();
  await b.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  const op = await b.client.call('createVm', { body: { name: 'web', image: 'tiny', memoryMiB: 128, start: true }, query: { wait: true } });
  expect(op.status).toBe('succeeded');
  a = await ClusterHost.create('a', database.path);
  await a.join(b);
  const vm = await a.client.call('getVm', { params: { id: 'web' } });
  expect(vm.host).toBe('b');
  vmId = vm.id;
  adminId = (await a.client.call('listUsers')).find((u) => u.name === 'admin')!.id;
  await waitFor('the guest on b to boot', async () => ((await get(b, `/vms/web/console`)).text.includes('HERD-GUEST-READY') ? true : undefined), 90_000, 300);
}, 300_000);

afterAll(async () => {
  // b first: it deletes the VM it runs.
  await b?.destroy();
  await a?.destroy();
  database.remove();
});

async function get(host: ClusterHost, path: string, headers: Record<string, string> = host.auth): Promise<{ status: number; servedBy: string | null; text: string }> {
  const res = await fetch(`${host.url}/api/v1${path}`, { headers });
  return { status: res.status, servedBy: res.headers.get('x-herd-served-by'), text: await res.text() };
}

/** Forward headers signed with the cluster's key (read from the shared database), as host `by` would send them. */
function signed(method: string, url: string, by: string, actingUser: string, time = Date.now()): Record<string, string> {
  const sqlite = new SQLite(database.path);
  try {
    const row = sqlite.prepare("SELECT value FROM cluster_secrets WHERE name = 'forward.key'").get() as { value: string };
    return new ForwardSigner(Buffer.from(row.value, 'base64')).headers({ method, url, by, actingUser, time });
  } finally {
    sqlite.close();
  }
}

describe('any host serves the API', () => {
  it("a VM's console log asked of a is read on b, where the VM runs", async () => {
    const viaA = await get(a, '/vms/web/console');
    expect(viaA.status).toBe(200);
    expect(viaA.servedBy).toBe('b');
    expect(viaA.text).toContain('HERD-GUEST-READY');
    // What any host can answer from the database, a answers itself.
    expect((await get(a, '/vms/web')).servedBy).toBe('a');
    expect((await get(b, '/vms/web')).servedBy).toBe('b');
  });

  it('actions asked of a run on b, as the same caller, and are audited once', async () => {
    for (const action of ['pauseVm', 'resumeVm'] as const) {
      const res = await fetch(`${a.url}/api/v1/vms/web/actions/${action === 'pauseVm' ? 'pause' : 'resume'}?wait=true`, { method: 'POST', headers: { ...a.auth, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('x-herd-served-by')).toBe('b');
      expect(await res.json()).toMatchObject({ status: 'succeeded' });
    }
    expect((await a.client.call('getVm', { params: { id: 'web' } })).state).toBe('running');
    const records = (await a.client.call('listAudit', { query: { target: 'web' } })).filter((r) => r.action === 'pauseVm' || r.action === 'resumeVm');
    expect(records.map((r) => [r.action, r.user, r.status])).toEqual([
      ['resumeVm', 'admin', 200],
      ['pauseVm', 'admin', 200],
    ]);
  });

  it("the serial console WebSocket opened on a reaches the guest on b, both ways", async () => {
    const ticket = await fetch(`${a.url}/api/v1/vms/web/console-tickets`, { method: 'POST', headers: { ...a.auth, 'content-type': 'application/json' }, body: '{"console":"serial"}' });
    expect(ticket.status).toBe(201);
    expect(ticket.headers.get('x-herd-served-by')).toBe('b');
    const { ticket: t } = (await ticket.json()) as { ticket: string };
    const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}/api/v1/vms/web/console?ticket=${encodeURIComponent(t)}`);
    let seen = '';
    ws.on('message', (data: Buffer) => (seen += data.toString('utf8')));
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    await waitFor('recent console output', () => (seen.includes('HERD-GUEST-READY') ? true : undefined), 10_000);
    ws.send('echo relay-$((6*7))\n');
    await waitFor("the guest's answer", () => (seen.includes('relay-42') ? true : undefined), 15_000);
    const closed = new Promise((r) => ws.once('close', r));
    ws.close(1000);
    await closed;
  });

  it("a console WebSocket with a bad ticket is refused by b, and a relays b's refusal", async () => {
    const refusal = await new Promise<{ status: number; servedBy: string | undefined; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}/api/v1/vms/${vmId}/console?ticket=forged`);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, servedBy: res.headers['x-herd-served-by'] as string | undefined, body }));
      });
      ws.once('open', () => reject(new Error('opened with a forged ticket')));
      ws.once('error', reject);
    });
    expect(refusal.status).toBe(401);
    expect(refusal.servedBy).toBe('b');
    expect(JSON.parse(refusal.body)).toMatchObject({ error: { code: 'ticket_invalid' } });
  });
});

describe('forward signatures', () => {
  const path = '/api/v1/vms/web/console?bytes=100';

  it('b serves a request signed with the cluster key as the user it names', async () => {
    const res = await get(b, '/vms/web/console?bytes=100', signed('GET', path, 'a', adminId));
    expect(res.status).toBe(200);
  });

  it('b refuses a forged, tampered or stale signature with 401', async () => {
    const good = signed('GET', path, 'a', adminId);
    const cases: Record<string, string>[] = [
      { ...good, [forwardHeaders.signature]: Buffer.alloc(32).toString('base64url') },
      { ...good, [forwardHeaders.actingUser]: '@root' },
      { ...signed('GET', '/api/v1/vms/web/console', 'a', adminId) },
      signed('GET', path, 'a', adminId, Date.now() - 60_000),
      // A signature does not lend a token anything: a forged one fails even beside a valid token.
      { ...b.auth, ...good, [forwardHeaders.signature]: 'AAAA' },
    ];
    for (const headers of cases) {
      const res = await get(b, '/vms/web/console?bytes=100', headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'unauthenticated' } });
    }
  });

  it('a relayed request that reaches a host other than the VM\'s is not relayed again', async () => {
    const res = await get(a, '/vms/web/console?bytes=100', signed('GET', path, 'c', adminId));
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'vm_moved' } });
    expect(JSON.parse(res.text).error.message).toMatch(/VM 'web' is on host 'b' now, not on 'a', to which 'c' forwarded this request; retry/);
  });
});

describe('with b down', () => {
  it('a answers host_unavailable at once, naming the VM, the host and its last heartbeat', async () => {
    await b.kill9();
    const started = Date.now();
    const res = await get(a, '/vms/web/console');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(503);
    const { error } = JSON.parse(res.text) as { error: { code: string; message: string } };
    expect(error.code).toBe('host_unavailable');
    expect(error.message).toMatch(/VM 'web' runs on host 'b', which cannot be reached at http:\/\/127\.0\.0\.1:\d+: .*\(last heartbeat \d{4}-.*\); retry/);
    // The VM kept running; b, started again, serves it again through a.
    await b.join();
    expect((await get(a, '/vms/web/console')).servedBy).toBe('b');
  });
});
