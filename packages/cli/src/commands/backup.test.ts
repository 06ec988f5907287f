import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleBackup, sampleOp, sampleVm } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

/** An operation the daemon accepted, and the same finished with `result`. */
function accepted(kind: Operation['kind'], result: Record<string, unknown>): [Operation, Operation] {
  const op = sampleOp({ kind, target: { type: 'vm', id: null, name: 'web1' } });
  return [op, { ...op, status: 'succeeded', progress: 100, result }];
}

describe('herd backup create', () => {
  it('sends --to made absolute here and --incremental, waits, and prints the backup', async () => {
    const made = sampleBackup({ kind: 'incremental', parent: sampleBackup().id });
    const [op, done] = accepted('backup.create', { backup: made });
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/backups': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
    });
    const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'herd-cli-')));
    const r = await runCli(['backup', 'create', 'web1', '--to', 'nightly', '--incremental'], { url: daemon.url, cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/backups')[0]?.body).toEqual({ to: join(cwd, 'nightly'), incremental: true });
    expect(r.stdout).toMatch(/^kind:\s+incremental$/m);
    expect(r.stdout).toMatch(new RegExp(`^based on:\\s+${sampleBackup().id}$`, 'm'));
  });

  it('says so when an incremental backup had no base and was made full', async () => {
    const [op, done] = accepted('backup.create', {});
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/backups': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
      'GET /api/v1/backups': (_q, res) => sendJson(res, 200, [sampleBackup()]),
    });
    const r = await runCli(['backup', 'create', 'web1', '--incremental', '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('GET', '/api/v1/backups')[0]?.query.get('vm')).toBe('web1');
    expect(r.stderr).toBe('herd: no usable base for an incremental backup; made a full one\n');
    expect(JSON.parse(r.stdout)).toEqual(sampleBackup());
  });
});

describe('herd backup list|delete', () => {
  it('passes --vm and renders a table', async () => {
    const b = sampleBackup();
    daemon = await FakeDaemon.start({ 'GET /api/v1/backups': (_q, res) => sendJson(res, 200, [b]) });
    const r = await runCli(['backup', 'list', '--vm', 'web1'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('GET', '/api/v1/backups')[0]?.query.get('vm')).toBe('web1');
    expect(r.stdout).toMatch(new RegExp(`^ID\\s+VM\\s+KIND\\s+SIZE\\s+AGE\\s+PATH\\n${b.id}\\s+web1\\s+full\\s+300 MiB\\s+\\d+d\\s+${b.path}\\n$`));
  });

  it('deletes and says so', async () => {
    const b = sampleBackup();
    daemon = await FakeDaemon.start({ [`DELETE /api/v1/backups/${b.id}`]: (_q, res) => sendJson(res, 200, b) });
    const r = await runCli(['backup', 'delete', b.id], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`backup ${b.id} of vm 'web1' deleted (${b.path})\n`);
  });

  it('exits 3 for an unknown backup', async () => {
    const id = sampleBackup().id;
    daemon = await FakeDaemon.start({ [`DELETE /api/v1/backups/${id}`]: (_q, res) => sendError(res, 'not_found', { kind: 'backup', name: id }) });
    const r = await runCli(['backup', 'delete', id], { url: daemon.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`herd: backup '${id}' does not exist; list them with \`herd backup list\`\n`);
  });
});

describe('herd backup restore', () => {
  const restored = sampleVm('web2', { state: 'stopped', desiredState: 'stopped', pid: null });

  it('sends a path made absolute here with the options, waits, and prints the new VM', async () => {
    const [op, done] = accepted('backup.restore', { vm: restored });
    daemon = await FakeDaemon.start({
      'POST /api/v1/backups/restore': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
    });
    const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'herd-cli-')));
    const r = await runCli(['backup', 'restore', 'web1.herd-backup', '--name', 'web2', '--pool', 'fast', '--start'], { url: daemon.url, cwd });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/backups/restore')[0]?.body).toEqual({ archive: join(cwd, 'web1.herd-backup'), name: 'web2', pool: 'fast', start: true });
    expect(r.stdout).toMatch(/^name:\s+web2$/m);
  });

  it('sends a backup id as it is', async () => {
    const [op, done] = accepted('backup.restore', { vm: restored });
    daemon = await FakeDaemon.start({
      'POST /api/v1/backups/restore': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
    });
    const r = await runCli(['backup', 'restore', sampleBackup().id, '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/backups/restore')[0]?.body).toEqual({ archive: sampleBackup().id });
    expect(JSON.parse(r.stdout)).toEqual(restored);
  });

  it('exits 7 with the message when the archive is unusable', async () => {
    const [op] = accepted('backup.restore', {});
    const error = { code: 'backup_invalid', message: "cannot use backup '/b/x': its checksum does not match", details: {} };
    daemon = await FakeDaemon.start({
      'POST /api/v1/backups/restore': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, { ...op, status: 'failed', error }),
    });
    const r = await runCli(['backup', 'restore', '/b/x'], { url: daemon.url });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("herd: cannot use backup '/b/x': its checksum does not match\n");
  });
});
