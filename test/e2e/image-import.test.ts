/**
 * Images imported over http from a local server: the checksum is checked against the bytes
 * that arrived, a failed import leaves no record and no files, bad requests name the field,
 * ISO 9660 images are recognised, and the CLI shows the download's progress.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HerdError, type HerdEvent, type Operation } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliMain, DaemonProcess } from '../helpers/daemon-process.js';
import { contractViolations } from '../helpers/openapi-check.js';

const daemon = new DaemonProcess();
const scratch = mkdtempSync('/tmp/herd-imp-');
let server: Server;
let base = '';
const served: string[] = [];

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A qcow2 with 4 MiB of data in it, so that a slow download takes a while. */
function makeQcow2(name: string): string {
  const raw = join(scratch, `${name}.raw`);
  writeFileSync(raw, Buffer.alloc(4 * 1024 * 1024, 'herd'));
  const qcow2 = join(scratch, `${name}.qcow2`);
  expect(spawnSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, qcow2]).status).toBe(0);
  rmSync(raw);
  return qcow2;
}

/** Files in the data directory's images/ and tmp/, which a failed import must leave as they were. */
function imageFiles(): { images: string[]; tmp: string[] } {
  return { images: readdirSync(join(daemon.dataDir, 'images')).sort(), tmp: readdirSync(join(daemon.dataDir, 'tmp')) };
}

/** Starts an import through the API and waits; returns the finished operation or the error. */
async function importAndWait(body: { name: string; url?: string; path?: string; sha256?: string }): Promise<Operation | HerdError> {
  return daemon.client.call('importImage', { body, query: { wait: true } }).catch((e: unknown) => {
    if (e instanceof HerdError) return e;
    throw e;
  });
}

beforeAll(async () => {
  // Serves the scratch directory; `?slow` spreads the body over about a second.
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    served.push(url.pathname);
    const file = join(scratch, url.pathname.slice(1));
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    if (!url.searchParams.has('slow')) {
      createReadStream(file).pipe(res);
      return;
    }
    const data = readFileSync(file);
    let at = 0;
    const step = Math.ceil(data.length / 40);
    const timer = setInterval(() => {
      res.write(data.subarray(at, (at += step)));
      if (at >= data.length) {
        clearInterval(timer);
        res.end();
      }
    }, 25);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await daemon.start();
}, 60_000);

afterAll(async () => {
  await daemon.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

describe('image import from a URL', () => {
  it('CLI: imports a qcow2 over http with its sha256, reporting the download as progress', async () => {
    const file = makeQcow2('small');
    const url = `${base}/small.qcow2?slow`;
    const seqBefore = (await daemon.client.call('listEvents', { query: { limit: 1 } })).at(-1)?.seq ?? 0;
    const r = await daemon.cli(['image', 'import', 'small', url, '--sha256', sha256(file), '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'small', kind: 'disk', format: 'qcow2', source: url, virtualSize: 4 * 1024 * 1024 });
    const listed = await daemon.client.call('listImages');
    expect(listed.map((i) => [i.name, i.kind, i.source])).toEqual([['small', 'disk', url]]);

    // The operation said how far the download had got while it ran: what the CLI's bar draws.
    const events: HerdEvent[] = await daemon.client.call('listEvents', { query: { since: seqBefore } });
    const progress = events
      .map((e) => e.data.operation as Operation | undefined)
      .filter((op): op is Operation => op?.kind === 'image.import' && op.status === 'running' && op.message.startsWith('downloading'));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)?.message).toMatch(/^downloading [\d.]+ [KM]iB of 4(\.\d)? MiB$/);
    expect(progress.some((op) => op.progress > 0 && op.progress < 90)).toBe(true);
  });

  it('CLI: draws a progress bar with the download on a terminal', async () => {
    const file = makeQcow2('tty');
    // `script` gives the CLI a pseudo-terminal, the only place it draws its bar.
    const cmd = `stty cols 160; '${process.execPath}' '${cliMain}' --url ${daemon.url} image import tty '${base}/tty.qcow2?slow' --sha256 ${sha256(file)}`;
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HERD_TOKEN: daemon.token } });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/importing image 'tty' \[[█░]{24}\] +\d+%  downloading [\d.]+ [KM]iB of 4(\.\d)? MiB/);
    expect(r.out).toMatch(/\x1b\[Kname:\s+tty\r?\n/);
  });

  it('a wrong sha256 fails with checksum_mismatch and leaves no record and no files', async () => {
    const file = makeQcow2('wrong');
    const before = imageFiles();
    const wrong = 'ab'.repeat(32);
    const e = await importAndWait({ name: 'wrong', url: `${base}/wrong.qcow2`, sha256: wrong });
    expect(e).toBeInstanceOf(HerdError);
    expect(e).toMatchObject({ status: 422, code: 'checksum_mismatch' });
    expect((e as HerdError).message).toBe(
      `the sha256 of '${base}/wrong.qcow2' is ${sha256(file)}, not the expected ${wrong}; nothing was kept. Check the checksum and the source, then import again`,
    );
    expect((await daemon.client.call('listImages')).map((i) => i.name)).not.toContain('wrong');
    expect(imageFiles()).toEqual(before);
    expect(before.tmp).toEqual([]);
  });

  it('a sha256 is checked on a path import too', async () => {
    const file = makeQcow2('local');
    const e = await importAndWait({ name: 'local', path: file, sha256: '0'.repeat(64) });
    expect(e).toMatchObject({ status: 422, code: 'checksum_mismatch' });
    const op = await importAndWait({ name: 'local', path: file, sha256: sha256(file) });
    expect(op).toMatchObject({ status: 'succeeded' });
    expect(await daemon.client.call('getImage', { params: { id: 'local' } })).toMatchObject({ kind: 'disk', source: `file:${file}` });
  });

  it('a URL that answers 404 fails with download_failed, saying the status', async () => {
    const before = imageFiles();
    const e = await importAndWait({ name: 'gone', url: `${base}/gone.qcow2` });
    expect(e).toMatchObject({ status: 502, code: 'download_failed', details: { status: 404, url: `${base}/gone.qcow2` } });
    expect((e as HerdError).message).toContain(`cannot download '${base}/gone.qcow2': the server answered 404 Not Found`);
    expect(imageFiles()).toEqual(before);
  });

  it('refuses, naming the field, a URL that is not http(s), both path and url, and neither', async () => {
    const fetched = served.length;
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ url: 'ftp://example.com/disk.qcow2' }, 'url', /herd downloads only http and https URLs, not ftp/],
      [{ url: 'not a url' }, 'url', /'not a url' is not a URL/],
      [{ url: `${base}/small.qcow2`, path: '/tmp/x.qcow2' }, 'url', /give either 'path' .* or 'url', not both/],
      [{}, 'path', /'path' \(a file on the daemon host\) or 'url' \(http or https\) is required/],
      [{ url: `${base}/small.qcow2`, sha256: 'abc' }, 'sha256', /sha256/],
    ];
    for (const [source, field, message] of cases) {
      const e = await importAndWait({ name: 'bad', ...source });
      expect(e, JSON.stringify(source)).toMatchObject({ status: 400, code: 'validation_failed', details: { field } });
      expect((e as HerdError).message).toMatch(message);
    }
    const cli = await daemon.cli(['image', 'import', 'bad', 'ftp://example.com/disk.qcow2']);
    expect(cli.code).toBe(5);
    expect(cli.stderr).toMatch(/^herd: url: herd downloads only http and https URLs/);
    expect(served.length, 'nothing is downloaded for a refused request').toBe(fetched);
  });

  it('refuses a downloaded qcow2 that refers to a file of the host', async () => {
    const overlay = join(scratch, 'overlay.qcow2');
    expect(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', '/etc/hostname', '-F', 'raw', overlay, '1M']).status).toBe(0);
    const e = await importAndWait({ name: 'overlay', url: `${base}/overlay.qcow2` });
    expect(e).toMatchObject({ status: 422, code: 'image_source_invalid', details: { field: 'url' } });
    expect((e as HerdError).message).toContain("it is an overlay of '/etc/hostname'");
  });

  it('recognises an ISO 9660 image and keeps it raw', async () => {
    const iso = Buffer.alloc(1024 * 1024);
    iso.write('\x01CD001\x01', 0x8000, 'latin1');
    writeFileSync(join(scratch, 'install.iso'), iso);
    const op = await importAndWait({ name: 'install', url: `${base}/install.iso` });
    expect(op).toMatchObject({ status: 'succeeded' });
    const image = await daemon.client.call('getImage', { params: { id: 'install' } });
    expect(image).toMatchObject({ kind: 'iso', format: 'raw', virtualSize: 1024 * 1024, source: `${base}/install.iso` });
    const kept = join(daemon.dataDir, 'images', image.id, 'cdrom.iso');
    expect(readFileSync(kept).equals(iso)).toBe(true);
    expect(imageFiles().tmp).toEqual([]);
  });

  it('answered every call as the OpenAPI document says', () => {
    expect(contractViolations).toEqual([]);
  });
});
