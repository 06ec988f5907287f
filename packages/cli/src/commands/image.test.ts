import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const importOp = sampleOp({ kind: 'image.import', target: { type: 'image', id: null, name: 'debian' } });

describe('herd image import', () => {
  it('sends a path made absolute here, waits, and prints the image', async () => {
    const image = sampleImage({ name: 'debian', kind: 'disk', source: '/x' });
    daemon = await FakeDaemon.start({
      'POST /api/v1/images/import': (_q, res) => sendJson(res, 202, importOp),
      [`GET /api/v1/operations/${importOp.id}`]: (_q, res) =>
        sendJson(res, 200, { ...importOp, status: 'succeeded', progress: 100, result: { image } }),
    });
    const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'herd-cli-')));
    const r = await runCli(['image', 'import', 'debian', 'disks/debian.qcow2', '-o', 'json'], { url: daemon.url, cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/images/import')[0]?.body).toEqual({ name: 'debian', path: join(cwd, 'disks/debian.qcow2') });
    expect(JSON.parse(r.stdout)).toEqual(image);
  });

  it('sends a URL as it is, with the sha256 in lower case', async () => {
    const image = sampleImage({ name: 'debian', kind: 'disk', source: 'https://example.com/d.qcow2' });
    daemon = await FakeDaemon.start({
      'POST /api/v1/images/import': (_q, res) => sendJson(res, 202, importOp),
      [`GET /api/v1/operations/${importOp.id}`]: (_q, res) =>
        sendJson(res, 200, { ...importOp, status: 'succeeded', progress: 100, result: { image } }),
    });
    const sha = 'AB'.repeat(32);
    const r = await runCli(['image', 'import', 'debian', 'https://example.com/d.qcow2', '--sha256', sha], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    expect(daemon.calls('POST', '/api/v1/images/import')[0]?.body).toEqual({ name: 'debian', url: 'https://example.com/d.qcow2', sha256: sha.toLowerCase() });
    expect(r.stdout).toMatch(/^source:\s+https:\/\/example.com\/d.qcow2$/m);
  });

  it('exits 2 for a sha256 that is not 64 hex digits, before calling the daemon', async () => {
    const r = await runCli(['image', 'import', 'debian', '/x', '--sha256', 'abc'], { url: 'http://127.0.0.1:9' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'abc' is not a SHA-256: give its 64 hex digits/);
  });

  it('exits 7 with the message when the import fails', async () => {
    const error = { code: 'image_source_invalid', message: "cannot import '/x': not a disk image", details: {} };
    daemon = await FakeDaemon.start({
      'POST /api/v1/images/import': (_q, res) => sendJson(res, 202, importOp),
      [`GET /api/v1/operations/${importOp.id}`]: (_q, res) => sendJson(res, 200, { ...importOp, status: 'failed', error }),
    });
    const r = await runCli(['image', 'import', 'debian', '/x'], { url: daemon.url });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("herd: cannot import '/x': not a disk image\n");
  });
});

describe('herd image build', () => {
  it('builds a recipe and reads the image when the result does not carry it', async () => {
    const op = sampleOp({ kind: 'image.build', status: 'succeeded', progress: 100, target: { type: 'image', id: null, name: 'tiny' } });
    daemon = await FakeDaemon.start({
      'POST /api/v1/images/build': (_q, res) => sendJson(res, 202, op),
      'GET /api/v1/images/tiny': (_q, res) => sendJson(res, 200, sampleImage()),
    });
    const r = await runCli(['image', 'build', 'tiny', '--force'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/images/build')[0]?.body).toEqual({ recipe: 'tiny', force: true });
    expect(r.stdout).toMatch(/^name:\s+tiny$/m);
  });

  it('exits 2 for an unknown recipe', async () => {
    const r = await runCli(['image', 'build', 'windows'], { url: 'http://127.0.0.1:9' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are tiny/);
  });
});

describe('herd image list|delete', () => {
  it('lists images in a table', async () => {
    daemon = await FakeDaemon.start({
      'GET /api/v1/images': (_q, res) => sendJson(res, 200, [sampleImage({ usedBy: ['web1', 'web2'] })]),
    });
    const r = await runCli(['image', 'list'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+KIND\s+FORMAT\s+SIZE\s+ON DISK\s+USED BY\s+AGE\ntiny\s+kernel\s+qcow2\s+64 MiB\s+12 MiB\s+web1,web2\s+\d+d\n$/);
  });

  it('exits 4 when the image is in use', async () => {
    daemon = await FakeDaemon.start({
      'DELETE /api/v1/images/tiny': (_q, res) => sendError(res, 'image_in_use', { name: 'tiny', users: 'web1' }),
    });
    const r = await runCli(['image', 'delete', 'tiny'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: image 'tiny' is used by web1; delete those VMs first\n");
  });
});
