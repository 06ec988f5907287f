/**
 * What the API can ask of images: build the tiny guest, import an image (from a file or a URL),
 * list, delete.
 * Builds and imports are operations that run in the background; an image appears only once it
 * is complete, and a failed or interrupted one leaves no files behind.
 */
import { assertOwnedHere } from '../tenancy/visibility.js';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { formatSize, HerdError, type Image, type ImageBuild, type Operation } from '@herd/api';
import type { Logger } from 'pino';
import type { OperationStore } from '../operations/operation-store.js';
import type { DataPaths } from '../paths.js';
import type { ImageRow } from '../store/schema.js';
import { imageInfo } from '../storage/qemu-img.js';
import { nowIso } from '../util/time.js';
import type { VmRepo } from '../vm/vm-repo.js';
import { ensureSha256, sha256OfFile } from './checksum.js';
import { downloadToFile } from './download.js';
import type { ImageRepo } from './image-repo.js';
import type { ImportRequest } from './import-request.js';
import { copyIntoImageDir, inspectSource, type SourceImage } from './source-image.js';
import { buildTinyImage } from './tiny/build-tiny-image.js';
import { TINY_GUEST_MIN_MEMORY_MIB } from './tiny/guest-cmdline.js';
import { toApiImage } from './to-api-image.js';

/** What the image service needs. */
export interface ImageServiceDeps {
  readonly images: ImageRepo;
  readonly vms: VmRepo;
  readonly ops: OperationStore;
  readonly paths: DataPaths;
  readonly log: Logger;
}

/** Image use cases for the HTTP layer. */
export class ImageService {
  readonly #d: ImageServiceDeps;

  constructor(deps: ImageServiceDeps) {
    this.#d = deps;
  }

  /** All images, with the VMs using each. */
  async list(): Promise<Image[]> {
    const rows = await this.#d.images.listVisible();
    return Promise.all(rows.map(async (r) => toApiImage(r, await this.#d.vms.namesUsingImage(r.id))));
  }

  /** One image by id or name. */
  async get(ref: string): Promise<Image> {
    const row = await this.#d.images.find(ref);
    return toApiImage(row, await this.#d.vms.namesUsingImage(row.id));
  }

  /** Deletes an image that no VM uses. */
  async delete(ref: string): Promise<Image> {
    const row = await this.#d.images.find(ref);
    assertOwnedHere('image', row.name, row.project_id);
    const users = await this.#d.vms.namesUsingImage(row.id);
    if (users.length) throw new HerdError('image_in_use', { name: row.name, users: describeUsers(users) });
    await this.#d.images.remove(row);
    await rm(this.#d.paths.imageDir(row.id), { recursive: true, force: true });
    return toApiImage(row, []);
  }

  /** Builds an image from a recipe (only `tiny` today) in the background. */
  async build(body: ImageBuild): Promise<Operation> {
    const name = body.name ?? body.recipe;
    const existing = await this.#d.images.findOptional(name);
    if (existing) {
      if (!body.force) throw new HerdError('name_taken', { kind: 'image', name, field: 'name' });
      const users = await this.#d.vms.namesUsingImage(existing.id);
      if (users.length) throw new HerdError('image_in_use', { name, users: describeUsers(users) });
    }
    const id = randomUUID();
    const op = await this.#d.ops.create('image.build', { type: 'image', id, name }, {}, `building ${body.recipe} image`);
    void this.#run(op.id, id, name, async (dir) => {
      const files = await buildTinyImage(dir, {
        onProgress: (m) => void this.#d.ops.progress(op.id, 50, m),
      });
      const info = await imageInfo(files.disk);
      if (existing) await this.delete(existing.id);
      return {
        kind: 'kernel',
        format: 'qcow2',
        disk_path: files.disk,
        kernel_path: files.kernel,
        initrd_path: files.initrd,
        kernel_cmdline: files.cmdline,
        min_memory_mib: TINY_GUEST_MIN_MEMORY_MIB,
        virtual_size: info['virtual-size'],
        actual_size: info['actual-size'] ?? 0,
        source: `recipe:${body.recipe} (kernel ${files.kernelVersion})`,
      };
    });
    return op;
  }

  /**
   * Imports a qcow2, raw or ISO image from a file on this host or an http(s) URL, in the
   * background. A file is checked before the operation starts; a download once it has arrived.
   * With `sha256`, bytes that do not match fail the import and nothing is kept.
   */
  async import(request: ImportRequest): Promise<Operation> {
    const { name, source, sha256 } = request;
    const local = source.kind === 'path' ? await inspectLocalFile(source.path) : undefined;
    if (await this.#d.images.findOptional(name)) throw new HerdError('name_taken', { kind: 'image', name, field: 'name' });
    const id = randomUUID();
    const from = source.kind === 'path' ? source.path : source.url;
    const op = await this.#d.ops.create('image.import', { type: 'image', id, name }, {}, `importing ${from}`);
    const progress = (pct: number, message: string) => void this.#d.ops.progress(op.id, pct, message);
    void this.#run(op.id, id, name, async (dir) => {
      if (local) {
        if (sha256) {
          progress(0, 'checking sha256');
          ensureSha256(from, sha256, await sha256OfFile(from));
        }
        return copyIntoImageDir(from, local, dir, `file:${from}`, (pct) => progress(pct, 'copying'));
      }
      const download = this.#downloadPath(id);
      try {
        // The download is 90% of the work shown; the copy into the image directory the rest.
        await downloadToFile(from, download, {
          ...(sha256 && { sha256 }),
          onProgress: ({ bytes, total }) =>
            progress(total ? (90 * bytes) / total : 0, `downloading ${formatSize(bytes)}${total ? ` of ${formatSize(total)}` : ''}`),
        });
        const image = await inspectSource(download, { shownAs: from, field: 'url', selfContained: true });
        return await copyIntoImageDir(download, image, dir, from, (pct) => progress(90 + pct / 10, 'copying'));
      } finally {
        await rm(download, { force: true });
      }
    });
    return op;
  }

  /** Fails image operations a previous daemon left unfinished, and removes their files. */
  async recoverInterrupted(): Promise<void> {
    for (const op of await this.#d.ops.listUnfinished()) {
      if (op.target_type !== 'image') continue;
      if (op.target_id && !(await this.#d.images.get(op.target_id))) {
        await rm(this.#d.paths.imageDir(op.target_id), { recursive: true, force: true });
        await rm(this.#downloadPath(op.target_id), { force: true });
      }
      await this.#d.ops.fail(op.id, new HerdError('operation_failed', { kind: op.kind, reason: 'interrupted by a daemon restart; run it again' }));
    }
  }

  /** Where the download of image `id` goes until it is copied in; named for the id so a restart finds it. */
  #downloadPath(id: string): string {
    return join(this.#d.paths.tmp, `import-${id}`);
  }

  async #run(
    opId: string,
    id: string,
    name: string,
    make: (dir: string) => Promise<Omit<ImageRow, 'id' | 'name' | 'created_at'>>,
  ): Promise<void> {
    const dir = this.#d.paths.imageDir(id);
    try {
      await mkdir(dir, { recursive: true });
      const fields = await make(dir);
      const row: ImageRow = { id, name, created_at: nowIso(), ...fields };
      await this.#d.images.insert(row);
      this.#d.log.info({ image: name, imageId: id }, 'image ready');
      await this.#d.ops.succeed(opId, { image: toApiImage(row, []) });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      const err = e instanceof HerdError ? e : new HerdError('operation_failed', { kind: 'image', reason: e instanceof Error ? e.message : String(e) });
      this.#d.log.warn({ image: name, err: err.message }, 'image operation failed');
      await this.#d.ops.fail(opId, err);
    }
  }
}

/** Checks a file on this host before its import starts. Throws image_source_invalid. */
async function inspectLocalFile(path: string): Promise<SourceImage> {
  const bad = (reason: string) => new HerdError('image_source_invalid', { path, reason, field: 'path' });
  if (!isAbsolute(path) || normalize(path) !== path.replace(/\/+$/, '')) throw bad('give a normalized absolute path (no "..")');
  if (!existsSync(path)) throw bad('no such file');
  if (!statSync(path).isFile()) throw bad('not a regular file');
  // The host's own files are trusted: a backing chain is flattened into the copy.
  return inspectSource(path, { shownAs: path, field: 'path', selfContained: false });
}

function describeUsers(users: string[]): string {
  const shown = users.slice(0, 5).map((u) => `'${u}'`).join(', ');
  return `${users.length} VM${users.length === 1 ? '' : 's'} (${shown}${users.length > 5 ? ', ...' : ''})`;
}
