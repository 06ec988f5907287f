import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleOp, sampleSnapshot, sampleVm } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

/** An operation on vm web1 that the daemon accepted, and the same finished with `result`. */
function vmOp(kind: Operation['kind'], result: Record<string, unknown>): [Operation, Operation] {
  const op = sampleOp({ kind, target: { type: 'vm', id: sampleVm().id, name: 'web1' } });
  return [op, { ...op, status: 'succeeded', progress: 100, result }];
}

describe('herd snapshot create', () => {
  const taken = sampleSnapshot({ name: 'before', withMemory: true, vmState: 'running', current: true, description: 'before the upgrade' });

  it.each([[['snapshot']], [['vm', 'snapshot']]])('%j create sends the options, waits, and says what was saved', async (group) => {
    const [op, done] = vmOp('snapshot.create', { snapshot: taken });
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/snapshots': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
    });
    const r = await runCli([...group, 'create', 'web1', 'before', '--with-memory', '--description', 'before the upgrade'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/snapshots')[0]?.body).toEqual({ name: 'before', withMemory: true, description: 'before the upgrade' });
    expect(r.stdout).toBe("snapshot 'before' of vm 'web1' taken (disks and memory)\n");
  });

  it('reads the snapshot back when the result does not carry it, and prints it with -o json', async () => {
    const [op, done] = vmOp('snapshot.create', {});
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/snapshots': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
      'GET /api/v1/vms/web1/snapshots': (_q, res) => sendJson(res, 200, [sampleSnapshot(), taken]),
    });
    const r = await runCli(['snapshot', 'create', 'web1', 'before', '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/snapshots')[0]?.body).toEqual({ name: 'before' });
    expect(JSON.parse(r.stdout)).toEqual(taken);
  });

  it('exits 5 with the message when the VM cannot be snapshotted', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/snapshots': (_q, res) => sendError(res, 'snapshot_unsupported', { name: 'web1', reason: "volume 'scratch' is raw" }),
    });
    const r = await runCli(['snapshot', 'create', 'web1', 'before'], { url: daemon.url });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe("herd: cannot snapshot VM 'web1': volume 'scratch' is raw\n");
  });

  it('exits 2 for a missing snapshot name', async () => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(['snapshot', 'create', 'web1'], { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'name'/);
    expect(daemon.requests).toEqual([]);
  });
});

describe('herd snapshot list', () => {
  const snapshots = [
    sampleSnapshot({ name: 'base', description: 'fresh install' }),
    sampleSnapshot({ name: 'upgraded', parent: 'base', withMemory: true, vmState: 'running' }),
    sampleSnapshot({ name: 'tuned', parent: 'upgraded', current: true }),
    sampleSnapshot({ name: 'experiment', parent: 'base', vmState: 'paused' }),
  ];

  it('draws the tree and marks the current snapshot', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/vms/web1/snapshots': (_q, res) => sendJson(res, 200, snapshots) });
    const r = await runCli(['vm', 'snapshot', 'list', 'web1'], { url: daemon.url });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => l.replace(/\s+\d+d\s+/, ' AGE '));
    expect(lines).toEqual([
      'NAME              MEMORY   VM-STATE   CREATED   DESCRIPTION',
      '  base            no       stopped AGE fresh install',
      '  ├─ upgraded     yes      running AGE -',
      '* │  └─ tuned     no       stopped AGE -',
      '  └─ experiment   no       paused AGE -',
    ]);
  });

  it('exits 3 for an unknown VM', async () => {
    daemon = await FakeDaemon.start({
      'GET /api/v1/vms/nope/snapshots': (_q, res) => sendError(res, 'not_found', { kind: 'vm', name: 'nope' }),
    });
    const r = await runCli(['snapshot', 'list', 'nope'], { url: daemon.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("herd: vm 'nope' does not exist; list them with `herd vm list`\n");
  });
});

describe('herd snapshot revert|delete', () => {
  it('reverts, waits, and prints the state the VM is in', async () => {
    const [op, done] = vmOp('snapshot.revert', { snapshot: 'base', state: 'stopped' });
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/snapshots/base/actions/revert': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
      'GET /api/v1/vms/web1': (_q, res) => sendJson(res, 200, sampleVm('web1', { state: 'stopped', pid: null })),
    });
    const r = await runCli(['snapshot', 'revert', 'web1', 'base'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/snapshots/base/actions/revert')[0]?.body).toEqual({});
    expect(r.stdout).toBe("vm 'web1' reverted to snapshot 'base'; it is stopped\n");
  });

  it('prints only the operation id with --no-wait', async () => {
    const [op] = vmOp('snapshot.delete', {});
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/vms/web1/snapshots/base': (_q, res) => sendJson(res, 202, op) });
    const r = await runCli(['snapshot', 'delete', 'web1', 'base', '--no-wait'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${op.id}\n`);
  });

  it('deletes and says so', async () => {
    const [op, done] = vmOp('snapshot.delete', { snapshot: 'base' });
    daemon = await FakeDaemon.start({
      'DELETE /api/v1/vms/web1/snapshots/base': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
    });
    const r = await runCli(['vm', 'snapshot', 'delete', 'web1', 'base'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("snapshot 'base' of vm 'web1' deleted\n");
  });

  it('exits 3 for an unknown snapshot', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/snapshots/nope/actions/revert': (_q, res) => sendError(res, 'not_found', { kind: 'snapshot', name: 'nope' }),
    });
    const r = await runCli(['snapshot', 'revert', 'web1', 'nope'], { url: daemon.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^herd: snapshot 'nope' does not exist/);
  });
});
