/**
 * Bad input gets the right 4xx with a message that says what is wrong, and changes nothing.
 */
import { HerdError } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { filesUnder } from '../helpers/host-state.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { join } from 'node:path';

const daemon = new DaemonProcess();

beforeAll(async () => {
  await daemon.start();
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  await daemon.client.call('createVm', { body: { name: 'keep', image: 'tiny', memoryMiB: 128 }, query: { wait: true } });
}, 300_000);

afterAll(async () => {
  await daemon.destroy();
});

async function post(path: string, body: unknown, contentType = 'application/json') {
  const res = await fetch(`${daemon.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...daemon.auth },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string; details: Record<string, unknown> } } };
}

async function snapshot() {
  const vms = await daemon.client.call('listVms');
  return {
    vms: vms.map((v) => `${v.name}:${v.state}`),
    images: (await daemon.client.call('listImages')).map((i) => i.name),
    disks: filesUnder(join(daemon.dataDir, 'pools')).length,
  };
}

describe('bad input', () => {
  it.each([
    [{ name: 'Bad_Name', image: 'tiny' }, 400, 'validation_failed', 'name', /DNS label/],
    [{ name: '-x', image: 'tiny' }, 400, 'validation_failed', 'name', /DNS label/],
    [{ name: 'a'.repeat(64), image: 'tiny' }, 400, 'validation_failed', 'name', /at most 63/],
    [{ name: 'ok', image: 'tiny', memoryMiB: 4 }, 400, 'validation_failed', 'memoryMiB', /memoryMiB/],
    [{ name: 'ok', image: 'tiny', memoryMiB: 64 }, 400, 'validation_failed', 'memoryMiB', /needs at least 96 MiB/],
    [{ name: 'ok', image: 'tiny', memoryMiB: '256' }, 400, 'validation_failed', 'memoryMiB', /integer/],
    [{ name: 'ok', image: 'tiny', cpus: 0 }, 400, 'validation_failed', 'cpus', /cpus/],
    [{ name: 'ok', image: 'tiny', diskBytes: 1048576 }, 422, 'disk_too_small', 'diskBytes', /at least as large/],
    [{ name: 'ok', image: 'tiny', colour: 'red' }, 400, 'validation_failed', 'colour', /unknown field 'colour'/],
    [{ name: 'ok' }, 400, 'validation_failed', 'image', /'image' is required/],
    [{ name: 'ok', image: 'nope' }, 400, 'validation_failed', 'image', /image 'nope' does not exist/],
    [{ name: 'keep', image: 'tiny' }, 409, 'name_taken', 'name', /already exists/],
  ])('POST /vms %j answers %i %s', async (body, status, code, field, message) => {
    const before = await snapshot();
    const r = await post('/vms', body);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.details.field).toBe(field);
    expect(r.body.error.message).toMatch(message);
    expect(await snapshot()).toEqual(before);
  });

  it('rejects a body that is not JSON, and a wrong content type', async () => {
    expect((await post('/vms', '{"name":', 'application/json')).status).toBe(400);
    const r = await post('/vms', 'name=x', 'application/x-www-form-urlencoded');
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('unsupported_media_type');
  });

  it('refuses actions the VM state does not allow, with 409, and changes nothing', async () => {
    const before = await snapshot();
    for (const action of ['pause', 'resume', 'restart'] as const) {
      const r = await post(`/vms/keep/actions/${action}`, {});
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('action_not_allowed');
      expect(r.body.error.message).toMatch(new RegExp(`cannot ${action} VM 'keep' while it is stopped; allowed now: start, delete`));
    }
    expect(await snapshot()).toEqual(before);
  });

  it('rejects unknown fields in action bodies and unknown query parameters', async () => {
    expect((await post('/vms/keep/actions/stop', { forse: true })).body.error.details.field).toBe('forse');
    const res = await fetch(`${daemon.url}/api/v1/vms?colour=red`, { headers: daemon.auth });
    expect(res.status).toBe(400);
  });

  it('answers 404 for unknown VMs, images, operations and routes', async () => {
    await expect(daemon.client.call('getVm', { params: { id: 'ghost' } })).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(daemon.client.call('startVm', { params: { id: 'ghost' } })).rejects.toMatchObject({ status: 404 });
    await expect(daemon.client.call('getImage', { params: { id: 'ghost' } })).rejects.toMatchObject({ status: 404 });
    await expect(daemon.client.call('getOperation', { params: { id: 'ghost' } })).rejects.toMatchObject({ status: 404 });
    const res = await fetch(`${daemon.url}/api/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });

  it('answers a path that is not valid percent-encoding with a catalogue error, not the router\'s own', async () => {
    for (const path of ['/vms/%', '/vms/%zz/actions/start', '/volumes/%E0%A4%A']) {
      const res = await fetch(`${daemon.url}/api/v1${path}`, { headers: daemon.auth });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe('bad_request');
    }
  });

  it('answers odd but valid requests: an empty project PATCH changes nothing, a HEAD of the event stream ends at once', async () => {
    const before = await daemon.client.call('getProject', { params: { id: 'default' } });
    const patch = await fetch(`${daemon.url}/api/v1/projects/default`, { method: 'PATCH', headers: { 'content-type': 'application/json', ...daemon.auth }, body: '{}' });
    expect(patch.status).toBe(200);
    expect(await daemon.client.call('getProject', { params: { id: 'default' } })).toEqual(before);
    const head = await fetch(`${daemon.url}/api/v1/events`, { method: 'HEAD', headers: { accept: 'text/event-stream', ...daemon.auth }, signal: AbortSignal.timeout(5000) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream');
  });

  it('refuses to delete an image a VM uses', async () => {
    const e = await daemon.client.call('deleteImage', { params: { id: 'tiny' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HerdError);
    expect((e as HerdError).status).toBe(409);
    expect((e as HerdError).message).toMatch(/image 'tiny' is used by 1 VM \('keep'\)/);
  });

  it('refuses imports of missing files, relative paths and non-images', async () => {
    for (const path of ['/nonexistent/disk.qcow2', 'relative.qcow2', '/tmp/../etc/passwd', '/etc']) {
      const r = await post('/images/import', { name: 'imp', path });
      expect(r.status, path).toBe(422);
      expect(r.body.error.code).toBe('image_source_invalid');
    }
  });

  it('CLI: bad names and sizes are usage errors (exit 2), unknown VMs exit 3', async () => {
    expect((await daemon.cli(['vm', 'create', 'Bad_Name', '--image', 'tiny'])).code).toBe(2);
    const size = await daemon.cli(['vm', 'create', 'ok', '--image', 'tiny', '--memory', 'lots']);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/not a size/);
    expect((await daemon.cli(['vm', 'start', 'ghost'])).code).toBe(3);
  });

  it('answered every call as the OpenAPI document says', () => {
    expect(contractViolations).toEqual([]);
  });
});
