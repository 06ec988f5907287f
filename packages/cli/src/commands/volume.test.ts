import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleOp, sampleVm, sampleVolume } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const GiB = 1024 ** 3;
const data1 = sampleVolume();
const attached = sampleVolume({ vm: 'web1' });

/** An operation on volume data1 that the daemon accepted, and the same finished with `result`. */
function volumeOp(kind: Operation['kind'], result: Record<string, unknown>): [Operation, Operation] {
  const op = sampleOp({ kind, target: { type: 'volume', id: data1.id, name: 'data1' } });
  return [op, { ...op, status: 'succeeded', progress: 100, result }];
}

describe('herd volume create', () => {
  it('sends the size in bytes and the options given, and prints the volume', async () => {
    const created = sampleVolume({ pool: 'fast', encrypted: true });
    daemon = await FakeDaemon.start({ 'POST /api/v1/volumes': (_q, res) => sendJson(res, 201, created) });
    const r = await runCli(['volume', 'create', 'data1', '--size', '10G', '--pool', 'fast', '--format', 'qcow2', '--encrypt'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/volumes')[0]?.body).toEqual({ name: 'data1', sizeBytes: 10 * GiB, pool: 'fast', format: 'qcow2', encrypted: true });
    expect(r.stdout).toMatch(/^format:\s+qcow2, encrypted \(LUKS\)$/m);
    expect(r.stdout).toMatch(/^size:\s+10 GiB$/m);
  });

  it('exits 4 with the message when the pool lacks the space', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/volumes': (_q, res) => sendError(res, 'insufficient_space', { pool: 'default', free: '2.1 GiB', requested: '10 GiB' }),
    });
    const r = await runCli(['volume', 'create', 'data1', '--size', '10'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(daemon.calls('POST', '/api/v1/volumes')[0]?.body).toEqual({ name: 'data1', sizeBytes: 10 * GiB });
    expect(r.stderr).toMatch(/^herd: pool 'default' has 2.1 GiB free and 10 GiB was asked for; /);
  });

  it.each([
    [['volume', 'create', 'data1'], /required option '--size <size>' not specified/],
    [['volume', 'create', 'data1', '--size', 'lots'], /'lots' is not a size/],
    [['volume', 'create', 'data1', '--size', '1G', '--format', 'vmdk'], /Allowed choices are qcow2, raw/],
    [['volume', 'create', 'data1', '--size', '1G', '--format', 'raw', '--encrypt'], /--encrypt needs the qcow2 format/],
    [['volume', 'create', 'Data_1', '--size', '1G'], /'Data_1' is not a valid name/],
    [['volume', 'attach', 'data1'], /missing required argument 'vm'/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(args, { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(daemon.requests).toEqual([]);
  });
});

describe('herd volume list|show', () => {
  it('passes --pool and --vm and renders a table', async () => {
    const root = sampleVolume({ name: 'web1-root', role: 'root', vm: 'web1', image: 'tiny', sizeBytes: GiB, usedBytes: 3 * 1024 ** 2 });
    daemon = await FakeDaemon.start({ 'GET /api/v1/volumes': (_q, res) => sendJson(res, 200, [root, attached]) });
    const r = await runCli(['volume', 'list', '--pool', 'default', '--vm', 'web1'], { url: daemon.url });
    expect(r.code).toBe(0);
    const q = daemon.calls('GET', '/api/v1/volumes')[0]?.query;
    expect([q?.get('pool'), q?.get('vm')]).toEqual(['default', 'web1']);
    expect(r.stdout).toBe(
      [
        'NAME        POOL      FORMAT     SIZE      USED   ROLE   VM',
        'web1-root   default   qcow2     1 GiB     3 MiB   root   web1',
        'data1       default   qcow2    10 GiB   196 KiB   data   web1',
        '',
      ].join('\n'),
    );
  });

  it('shows a volume', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/volumes/data1': (_q, res) => sendJson(res, 200, data1) });
    const r = await runCli(['volume', 'show', 'data1'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^vm:\s+-$/m);
    expect(r.stdout).toMatch(/^role:\s+data$/m);
  });
});

describe('herd volume resize|delete', () => {
  it('sends the new size and prints the volume', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/volumes/data1/actions/resize': (_q, res) => sendJson(res, 200, sampleVolume({ sizeBytes: 20 * GiB })),
    });
    const r = await runCli(['volume', 'resize', 'data1', '--size', '20G'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/volumes/data1/actions/resize')[0]?.body).toEqual({ sizeBytes: 20 * GiB });
    expect(r.stdout).toMatch(/^size:\s+20 GiB$/m);
  });

  it('exits 5 with the message when asked to shrink', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/volumes/data1/actions/resize': (_q, res) => sendError(res, 'shrink_refused', { name: 'data1', current: '10 GiB', requested: '5 GiB' }),
    });
    const r = await runCli(['volume', 'resize', 'data1', '--size', '5G'], { url: daemon.url });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^herd: volume 'data1' is 10 GiB and 5 GiB was asked for; volumes only grow/);
  });

  it('exits 4 when the volume is attached', async () => {
    daemon = await FakeDaemon.start({
      'DELETE /api/v1/volumes/data1': (_q, res) => sendError(res, 'volume_in_use', { name: 'data1', reason: "attached to VM 'web1'" }),
    });
    const r = await runCli(['volume', 'delete', 'data1'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: volume 'data1' is attached to VM 'web1'; detach it first\n");
  });
});

describe('herd volume attach|detach', () => {
  it('attaches, waits, and says it was hot-plugged', async () => {
    const [op, done] = volumeOp('volume.attach', { volume: attached, live: true });
    daemon = await FakeDaemon.start({
      'POST /api/v1/volumes/data1/actions/attach': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
    });
    const r = await runCli(['volume', 'attach', 'data1', 'web1'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/volumes/data1/actions/attach')[0]?.body).toEqual({ vm: 'web1' });
    expect(r.stdout).toBe("volume 'data1' attached to vm 'web1' (hot-plugged)\n");
  });

  it('exits 7 with the operation error when the hot-plug fails', async () => {
    const [op] = volumeOp('volume.attach', {});
    const error = { code: 'operation_failed', message: 'volume.attach failed: device_add: Duplicate ID', details: {} };
    daemon = await FakeDaemon.start({
      'POST /api/v1/volumes/data1/actions/attach': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, { ...op, status: 'failed', error }),
    });
    const r = await runCli(['volume', 'attach', 'data1', 'web1'], { url: daemon.url });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe('herd: volume.attach failed: device_add: Duplicate ID\n');
  });

  it.each([[['volume', 'detach', 'data1']], [['volume', 'detach', 'data1', 'web1']], [['volume', 'detach', 'data1', sampleVm().id]]])(
    'detaches the volume from its VM: %j',
    async (args) => {
      const [op, done] = volumeOp('volume.detach', { volume: data1, live: false });
      daemon = await FakeDaemon.start({
        'GET /api/v1/volumes/data1': (_q, res) => sendJson(res, 200, attached),
        [`GET /api/v1/vms/${sampleVm().id}`]: (_q, res) => sendJson(res, 200, sampleVm()),
        [`POST /api/v1/volumes/${data1.id}/actions/detach`]: (_q, res) => sendJson(res, 202, op),
        [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done),
      });
      const r = await runCli(args, { url: daemon.url });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(daemon.calls('POST', `/api/v1/volumes/${data1.id}/actions/detach`)[0]?.body).toEqual({});
      expect(r.stdout).toBe("volume 'data1' detached from vm 'web1'\n");
    },
  );

  it('exits 4 without detaching when the volume is attached to another VM', async () => {
    daemon = await FakeDaemon.start({
      'GET /api/v1/volumes/data1': (_q, res) => sendJson(res, 200, attached),
      'GET /api/v1/vms/db': (_q, res) => sendJson(res, 200, sampleVm('db')),
    });
    const r = await runCli(['volume', 'detach', 'data1', 'db'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^herd: volume 'data1' is attached to VM 'web1', not 'db'; /);
    expect(daemon.requests.filter((q) => q.method === 'POST')).toEqual([]);
  });
});
