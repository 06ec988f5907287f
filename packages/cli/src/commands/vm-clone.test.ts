import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleOp, sampleVm } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const op = sampleOp({ kind: 'vm.clone' });
const clone = sampleVm('web2', { id: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f' });

describe('herd vm clone', () => {
  it('sends a full clone with its pool, waits, and prints the new VM', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/actions/clone': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, { ...op, status: 'succeeded', progress: 100, result: { vm: clone } }),
    });
    const r = await runCli(['vm', 'clone', 'web1', 'web2', '--full', '--pool', 'fast', '--start'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/actions/clone')[0]?.body).toEqual({ name: 'web2', mode: 'full', pool: 'fast', start: true });
    expect(r.stdout).toMatch(/^name:\s+web2$/m);
  });

  it('leaves the mode to the daemon by default, and reads the clone when the result lacks it', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/actions/clone': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, { ...op, status: 'succeeded', progress: 100 }),
      'GET /api/v1/vms/web2': (_q, res) => sendJson(res, 200, clone),
    });
    const r = await runCli(['vm', 'clone', 'web1', 'web2', '-o', 'json'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/actions/clone')[0]?.body).toEqual({ name: 'web2' });
    expect(JSON.parse(r.stdout)).toEqual(clone);
  });

  it('sends --linked', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/vms/web1/actions/clone': (_q, res) => sendJson(res, 202, op) });
    const r = await runCli(['vm', 'clone', 'web1', 'web2', '--linked', '--no-wait'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/actions/clone')[0]?.body).toEqual({ name: 'web2', mode: 'linked' });
    expect(r.stdout).toBe(`${op.id}\n`);
  });

  it('exits 4 with the message when the name is taken', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/actions/clone': (_q, res) => sendError(res, 'name_taken', { kind: 'vm', name: 'web2' }),
    });
    const r = await runCli(['vm', 'clone', 'web1', 'web2'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: a vm named 'web2' already exists; choose another name or delete the existing one\n");
  });

  it.each([
    [['vm', 'clone', 'web1', 'web2', '--linked', '--full'], /option '--linked' cannot be used with option '--full'/],
    [['vm', 'clone', 'web1', 'web2', '--pool', 'fast'], /--pool goes with --full/],
    [['vm', 'clone', 'web1'], /missing required argument 'name'/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });
});
