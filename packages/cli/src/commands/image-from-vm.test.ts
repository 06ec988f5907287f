import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleImage, sampleOp } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

// The operation's target may be the VM rather than the image; the CLI must read the image by its name.
const op = sampleOp({ kind: 'image.from-vm', target: { type: 'vm', id: null, name: 'web1' } });

describe('herd image create-from-vm', () => {
  it('sends the VM and the name, waits, and reads the image by its name', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/images/from-vm': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, { ...op, status: 'succeeded', progress: 100 }),
      'GET /api/v1/images/golden': (_q, res) => sendJson(res, 200, sampleImage({ name: 'golden', kind: 'disk', source: 'vm:web1' })),
    });
    const r = await runCli(['image', 'create-from-vm', 'web1', '--name', 'golden'], { url: daemon.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/images/from-vm')[0]?.body).toEqual({ vm: 'web1', name: 'golden' });
    expect(r.stdout).toMatch(/^name:\s+golden$/m);
  });

  it('exits 4 with the message when the VM is running', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/images/from-vm': (_q, res) =>
        sendError(res, 'action_not_allowed', { action: 'make an image of', name: 'web1', state: 'running', allowed: 'stop' }),
    });
    const r = await runCli(['image', 'create-from-vm', 'web1', '--name', 'golden'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: cannot make an image of VM 'web1' while it is running; allowed now: stop\n");
  });

  it('exits 2 without --name', async () => {
    daemon = await FakeDaemon.start({});
    const r = await runCli(['image', 'create-from-vm', 'web1'], { url: daemon.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '--name <name>' not specified/);
    expect(daemon.requests).toEqual([]);
  });
});
