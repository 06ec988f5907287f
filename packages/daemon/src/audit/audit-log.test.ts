import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/open-database.js';
import { auditHash } from './audit-hash.js';
import { AuditLog, type AuditEntry } from './audit-log.js';
import { writeChainHead } from './chain-head.js';

let dir: string;
let db: Db;
let audit: AuditLog;
let headPath: string;

const entry = (n: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  user: n % 2 ? 'alice' : 'bob',
  project: n % 3 ? 'default' : 'web',
  action: 'createVm',
  method: 'POST',
  path: '/api/v1/vms',
  target: `vm-${n}`,
  query: {},
  body: { name: `vm-${n}`, cpus: 1 },
  status: 201,
  ...over,
});

/** Edits the database file behind herd's back, as someone with the file would: triggers dropped first. */
function tamper(statements: string): void {
  const raw = new SQLite(join(dir, 'herd.db'));
  raw.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
  raw.exec(statements);
  raw.close();
}

async function appendMany(n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await audit.append(entry(i));
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-audit-'));
  db = await openDatabase(join(dir, 'herd.db'));
  headPath = join(dir, 'audit.head');
  audit = new AuditLog(db, headPath);
});
afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('AuditLog.append', () => {
  it('chains records from the genesis hash and moves the head file', async () => {
    const first = await audit.append(entry(1));
    const second = await audit.append(entry(2));
    expect(first.seq).toBe(1);
    expect(second.seq).toBe(2);
    const rows = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    expect(rows[0]!.prev_hash).toBe('0'.repeat(64));
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);
    expect(rows.every((r) => auditHash(r) === r.hash)).toBe(true);
    expect(await audit.verify()).toEqual({ ok: true, records: 2, firstBroken: null });
  });

  it('stores the result from the status, and params without secrets', async () => {
    const rec = await audit.append(entry(1, { status: 403, body: { url: 'http://x', secret: 's3cret', nested: { apiToken: 't' } }, query: { wait: true } }));
    expect(rec.result).toBe('error');
    expect(rec.params).toEqual({ query: { wait: true }, body: { url: 'http://x', secret: '[redacted]', nested: { apiToken: '[redacted]' } } });
    const row = await db.selectFrom('audit_log').select('params').executeTakeFirstOrThrow();
    expect(row.params).not.toContain('s3cret');
  });

  it('chains 200 concurrent appends correctly', async () => {
    const recs = await Promise.all(Array.from({ length: 200 }, (_, i) => audit.append(entry(i + 1))));
    expect(new Set(recs.map((r) => r.seq)).size).toBe(200);
    expect(await audit.verify()).toEqual({ ok: true, records: 200, firstBroken: null });
  });

  it('is refused UPDATE and DELETE by the database itself', async () => {
    await appendMany(2);
    const raw = new SQLite(join(dir, 'herd.db'));
    expect(() => raw.prepare("UPDATE audit_log SET user_name = 'mallory' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/);
    raw.close();
  });

  it('after a failure says why, and clears it with the next good append', async () => {
    const log = new AuditLog(db, join(dir, 'later', 'audit.head'));
    await expect(log.append(entry(1))).rejects.toThrow(/ENOENT/);
    expect(log.failure).toMatch(/ENOENT/);
    mkdirSync(join(dir, 'later'));
    await log.append(entry(2));
    expect(log.failure).toBeUndefined();
    expect((await log.verify()).ok).toBe(true);
  });
});

describe('AuditLog.verify', () => {
  it('is intact on an empty log', async () => {
    expect(await audit.verify()).toEqual({ ok: true, records: 0, firstBroken: null });
  });

  it('names a record whose params were edited', async () => {
    await appendMany(5);
    tamper(`UPDATE audit_log SET params = '{"query":{},"body":{"name":"innocent"}}' WHERE seq = 3`);
    const v = await audit.verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken).toEqual({ seq: 3, reason: expect.stringMatching(/edited/) });
  });

  it('names the record after a deleted one', async () => {
    await appendMany(5);
    tamper('DELETE FROM audit_log WHERE seq = 3');
    expect((await audit.verify()).firstBroken).toEqual({ seq: 4, reason: expect.stringMatching(/record 3 before it was removed/) });
  });

  it('names the first record when the first ones were deleted', async () => {
    await appendMany(5);
    tamper('DELETE FROM audit_log WHERE seq <= 2');
    expect((await audit.verify()).firstBroken).toEqual({ seq: 3, reason: expect.stringMatching(/records 1 to 2 before it were removed/) });
  });

  it('finds deleted newest records through the chain head', async () => {
    await appendMany(5);
    tamper('DELETE FROM audit_log WHERE seq = 5');
    expect((await audit.verify()).firstBroken).toEqual({ seq: 5, reason: expect.stringMatching(/records after seq 4 were removed/) });
  });

  it('finds a deleted gap renumbered to look whole (seq changed, hashes not)', async () => {
    await appendMany(5);
    tamper('DELETE FROM audit_log WHERE seq = 3; UPDATE audit_log SET seq = seq - 1 WHERE seq > 3;');
    expect((await audit.verify()).firstBroken?.seq).toBe(3);
  });

  it('finds swapped records', async () => {
    await appendMany(4);
    tamper(`UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 100;`);
    expect((await audit.verify()).firstBroken?.seq).toBe(2);
  });

  it('finds a tail rewritten with fresh hashes, through the chain head', async () => {
    await appendMany(3);
    // Rewrite record 3 and give it a hash that matches its new content.
    const row = await db.selectFrom('audit_log').selectAll().where('seq', '=', 3).executeTakeFirstOrThrow();
    const forged = { ...row, user_name: 'nobody' };
    tamper(`UPDATE audit_log SET user_name = 'nobody', hash = '${auditHash(forged)}' WHERE seq = 3`);
    expect((await audit.verify()).firstBroken).toEqual({ seq: 3, reason: expect.stringMatching(/differs from the chain head/) });
  });

  it('finds records added behind herd, beyond the chain head', async () => {
    await appendMany(2);
    const last = await db.selectFrom('audit_log').selectAll().where('seq', '=', 2).executeTakeFirstOrThrow();
    const fake = { ...last, seq: 3, user_name: 'mallory', prev_hash: last.hash };
    const hash = auditHash(fake);
    tamper(
      `INSERT INTO audit_log (seq, at, user_name, project, action, method, path, target, params, status, result, prev_hash, hash) VALUES (3, '${fake.at}', 'mallory', NULL, 'createVm', 'POST', '/api/v1/vms', NULL, '${fake.params}', 201, 'ok', '${fake.prev_hash}', '${hash}')`,
    );
    expect((await audit.verify()).firstBroken).toEqual({ seq: 3, reason: expect.stringMatching(/newer than the chain head/) });
  });

  it('cannot be fooled by a missing head file when there are records', async () => {
    await appendMany(2);
    unlinkSync(headPath);
    expect((await audit.verify()).firstBroken).toEqual({ seq: 3, reason: expect.stringMatching(/missing/) });
  });

  it('keeps a deleted tail visible after more appends, also after a restart', async () => {
    await appendMany(5);
    tamper('DELETE FROM audit_log WHERE seq >= 4');
    const restarted = new AuditLog(db, headPath);
    const next = await restarted.append(entry(6));
    expect(next.seq).toBe(6);
    expect((await restarted.verify()).firstBroken).toEqual({ seq: 6, reason: expect.stringMatching(/records 4 to 5 before it were removed/) });
  });

  it('reads a garbled head file as broken', async () => {
    await appendMany(1);
    await writeChainHead(headPath, { seq: 1, hash: 'x' });
    expect((await audit.verify()).firstBroken?.reason).toMatch(/unusable/);
    expect(existsSync(`${headPath}.tmp`)).toBe(false);
  });
});

describe('AuditLog.list', () => {
  beforeEach(async () => {
    for (let i = 1; i <= 6; i++) await audit.append(entry(i, { at: `2030-01-0${i}T00:00:00.000Z` }));
  });

  it('answers newest first, at most limit', async () => {
    expect((await audit.list()).map((r) => r.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect((await audit.list({ limit: 2 })).map((r) => r.seq)).toEqual([6, 5]);
  });

  it('filters by user, project and exact target', async () => {
    expect((await audit.list({ user: 'alice' })).map((r) => r.seq)).toEqual([5, 3, 1]);
    expect((await audit.list({ project: 'web' })).map((r) => r.seq)).toEqual([6, 3]);
    expect((await audit.list({ target: 'vm-2' })).map((r) => r.seq)).toEqual([2]);
    expect(await audit.list({ target: 'vm' })).toEqual([]);
  });

  it('filters by time, whatever the offset of the bounds', async () => {
    expect((await audit.list({ since: '2030-01-03T00:00:00Z', until: '2030-01-05T00:00:00Z' })).map((r) => r.seq)).toEqual([5, 4, 3]);
    expect((await audit.list({ since: '2030-01-05T02:00:00+02:00' })).map((r) => r.seq)).toEqual([6, 5]);
  });
});
