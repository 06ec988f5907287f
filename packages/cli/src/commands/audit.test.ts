import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { parseTimeBound } from './audit.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const record = (seq: number, over: Partial<AuditRecord> = {}): AuditRecord => ({
  seq,
  at: '2026-01-01T00:00:00.000Z',
  user: 'alice',
  project: 'web',
  action: 'createVm',
  method: 'POST',
  path: '/api/v1/vms',
  target: 'web1',
  params: { query: {}, body: { name: 'web1' } },
  status: 201,
  result: 'ok',
  hash: 'a'.repeat(64),
  ...over,
});

describe('herd audit list', () => {
  it('passes the filters and shows a table', async () => {
    const records = [record(2, { user: 'anonymous', project: null, action: 'deleteVm', target: null, status: 401, result: 'error' }), record(1)];
    daemon = await FakeDaemon.start({ 'GET /api/v1/audit': (_q, res) => sendJson(res, 200, records) });
    const r = await runCli(['audit', 'list', '--user', 'alice', '--project', 'web', '--target', 'web1', '--since', '2026-01-01T02:00:00+02:00', '--until', '1h', '--limit', '5'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    const q = daemon.calls('GET', '/api/v1/audit')[0]!.query;
    expect(Object.fromEntries(q)).toMatchObject({ user: 'alice', project: 'web', target: 'web1', since: '2026-01-01T00:00:00.000Z', limit: '5' });
    expect(Date.now() - Date.parse(q.get('until')!)).toBeGreaterThanOrEqual(3600_000);
    expect(r.stdout.split('\n')[0]).toMatch(/^SEQ\s+TIME\s+USER\s+PROJECT\s+ACTION\s+TARGET\s+RESULT$/);
    expect(r.stdout).toMatch(/\n\s*2\s+2026-01-01T00:00:00.000Z\s+anonymous\s+-\s+deleteVm\s+-\s+error 401\n\s*1\s+2026-01-01T00:00:00.000Z\s+alice\s+web\s+createVm\s+web1\s+ok\n$/);
  });

  it('prints the records as the daemon sent them with -o json', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/audit': (_q, res) => sendJson(res, 200, [record(1)]) });
    const r = await runCli(['-o', 'json', 'audit', 'list'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([record(1)]);
  });

  it('refuses a time it cannot read (exit 2) before calling the daemon', async () => {
    const r = await runCli(['audit', 'list', '--since', 'yesterday'], { url: 'http://127.0.0.1:9' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'yesterday' is not a time");
  });

  it('passes a refusal on (cluster admins only)', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/audit': (_q, res) => sendError(res, 'forbidden', { who: 'bob', action: 'listAudit', reason: 'only cluster administrators may' }) });
    const r = await runCli(['audit', 'list'], { url: daemon.url });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bob may not listAudit: only cluster administrators may');
  });
});

describe('herd audit verify', () => {
  it('says the log is intact and exits 0', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/audit/verify': (_q, res) => sendJson(res, 200, { ok: true, records: 42, firstBroken: null }) });
    const r = await runCli(['audit', 'verify'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('audit log intact: 42 records\n');
  });

  it('names the first broken record on stderr and exits 8', async () => {
    const v = { ok: false, records: 3, firstBroken: { seq: 3, reason: 'its content does not match its hash: the record was edited' } };
    daemon = await FakeDaemon.start({ 'POST /api/v1/audit/verify': (_q, res) => sendJson(res, 200, v) });
    const r = await runCli(['audit', 'verify'], { url: daemon.url });
    expect(r.code).toBe(8);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('herd: audit log broken at record 3: its content does not match its hash: the record was edited\n');
    const j = await runCli(['-o', 'json', 'audit', 'verify'], { url: daemon.url });
    expect(j.code).toBe(8);
    expect(JSON.parse(j.stdout)).toEqual(v);
  });
});

describe('parseTimeBound', () => {
  const now = Date.parse('2026-01-10T00:00:00Z');
  it('reads durations before now, now and RFC 3339 times', () => {
    expect(parseTimeBound('30m', now)).toBe('2026-01-09T23:30:00.000Z');
    expect(parseTimeBound('7d', now)).toBe('2026-01-03T00:00:00.000Z');
    expect(parseTimeBound('now', now)).toBe('2026-01-10T00:00:00.000Z');
    expect(parseTimeBound('2026-01-01T01:00:00+01:00', now)).toBe('2026-01-01T00:00:00.000Z');
    expect(() => parseTimeBound('2026-01-01', now)).toThrow(/not a time/);
  });
});
