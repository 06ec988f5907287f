/**
 * The audit log end to end: changes made through the API and the CLI (and refused ones) are
 * recorded with who did them and without secrets; then the database file is edited behind the
 * daemon's back, as someone with root on the host could, and `herd audit verify` names the
 * first broken record after a restart: an edited record, a removed one, removed newest ones.
 */
import { join } from 'node:path';
import type { AuditRecord, HerdError } from '@herd/api';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

const daemon = new DaemonProcess();
const secret = 'do-not-log-me-0123456789';

beforeAll(async () => {
  await daemon.start();
}, 120_000);
afterAll(async () => {
  await daemon.destroy();
});

async function listAudit(...args: string[]): Promise<AuditRecord[]> {
  const r = await daemon.cli(['audit', 'list', '-o', 'json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as AuditRecord[];
}

/** Stops the daemon, runs `sql` on its database file with the append-only triggers dropped, and starts it again. */
async function tamper(sql: string): Promise<void> {
  await daemon.stop();
  const db = new SQLite(join(daemon.dataDir, 'herd.db'));
  db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
  db.exec(sql);
  db.close();
  await daemon.start();
}

async function verify(): Promise<{ code: number; stdout: string; stderr: string }> {
  return daemon.cli(['audit', 'verify']);
}

describe('the audit log', () => {
  let records: AuditRecord[] = [];

  it('records changes with user, action, target and result, and keeps secrets out', async () => {
    const add = await daemon.cli(['webhook', 'add', 'http://127.0.0.1:9/hook', '--secret', secret, '-o', 'json']);
    expect(add.code, add.stderr).toBe(0);
    const hookId = (JSON.parse(add.stdout) as { id: string }).id;
    const rule = await daemon.client.call('createAlertRule', { body: { name: 'hot-host', metric: 'host_cpu_percent', target: 'host', op: '>', threshold: 99 } });
    await daemon.client.call('deleteAlertRule', { params: { id: rule.id } });
    expect((await daemon.cli(['webhook', 'remove', hookId])).code).toBe(0);
    expect((await daemon.cli(['webhook', 'remove', 'no-such-hook'])).code).toBe(3);
    const refused = await daemon
      .clientWith(undefined)
      .call('createWebhook', { body: { url: 'http://127.0.0.1:9/x' } })
      .catch((e: HerdError) => e);
    expect((refused as HerdError).status).toBe(401);

    records = await waitFor('six audit records', async () => {
      const all = await listAudit();
      return all.length >= 6 ? all : undefined;
    });
    const rows = records.map((r) => [r.user, r.action, r.target, r.result, r.status]);
    expect(rows).toEqual([
      ['anonymous', 'createWebhook', null, 'error', 401],
      ['admin', 'deleteWebhook', 'no-such-hook', 'error', 404],
      ['admin', 'deleteWebhook', hookId, 'ok', 200],
      ['admin', 'deleteAlertRule', rule.id, 'ok', 200],
      ['admin', 'createAlertRule', null, 'ok', 201],
      ['admin', 'createWebhook', null, 'ok', 201],
    ]);
    const created = records.find((r) => r.action === 'createWebhook' && r.user === 'admin')!;
    expect(created.params).toMatchObject({ body: { url: 'http://127.0.0.1:9/hook', secret: '[redacted]' } });
    expect(JSON.stringify(records)).not.toContain(secret);
    expect(records.map((r) => r.seq)).toEqual([...records.map((r) => r.seq)].sort((a, b) => b - a));
  });

  it('filters by user, target and time', async () => {
    expect((await listAudit('--user', 'anonymous')).map((r) => r.action)).toEqual(['createWebhook']);
    expect((await listAudit('--target', 'no-such-hook')).map((r) => r.status)).toEqual([404]);
    expect(await listAudit('--since', '2099-01-01T00:00:00Z')).toEqual([]);
    expect(await listAudit('--until', '2000-01-01T00:00:00Z')).toEqual([]);
    expect(await listAudit('--limit', '2')).toHaveLength(2);
  });

  it('verifies an intact log', async () => {
    const r = await verify();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^audit log intact: \d+ records\n$/);
  });

  // Each step tampers earlier in the chain than the one before, so that its break is the first.
  it('notices that the newest records were deleted from the database file', async () => {
    const firstGone = records[1]!.seq;
    await tamper(`DELETE FROM audit_log WHERE seq >= ${firstGone}`);
    const r = await verify();
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(`audit log broken at record ${firstGone}: records after seq ${firstGone - 1} were removed`);
  });

  it('names a record edited in the database file', async () => {
    const edited = records.find((r) => r.action === 'createAlertRule')!;
    await tamper(`UPDATE audit_log SET params = '{"query":{},"body":{"name":"innocent"}}' WHERE seq = ${edited.seq}`);
    const r = await verify();
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(`audit log broken at record ${edited.seq}: its content does not match its hash: the record was edited`);
    const v = await daemon.client.call('verifyAudit');
    expect(v).toMatchObject({ ok: false, firstBroken: { seq: edited.seq } });
  });

  it('names the record after one deleted from the database file', async () => {
    const deleted = records.at(-1)!;
    await tamper(`DELETE FROM audit_log WHERE seq = ${deleted.seq}`);
    const r = await verify();
    expect(r.code).toBe(8);
    expect(r.stderr).toContain(`audit log broken at record ${deleted.seq + 1}: record ${deleted.seq} before it was removed`);
  });

  it('broke no contract', () => {
    expect(contractViolations).toEqual([]);
  });
});
