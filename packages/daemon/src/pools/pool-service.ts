/**
 * Storage pools: the `default` dir pool every daemon has, and the pools operators add. A pool
 * record names storage; deleting it leaves the storage alone. Space is read from the storage
 * each time it is asked for, never cached.
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute, normalize } from 'node:path';
import { HerdError, formatSize, type Pool, type PoolCreate } from '@herd/api';
import type { DataPaths } from '../paths.js';
import type { PoolRow } from '../store/schema.js';
import { nowIso } from '../util/time.js';
import { driverFor } from '../storage/driver-for.js';
import type { PoolDriver } from '../storage/pool-driver.js';
import type { PoolRepo } from './pool-repo.js';
import type { VolumeRepo } from '../volumes/volume-repo.js';

/** Name of the pool every daemon has. */
export const defaultPoolName = 'default';

/** What the pool service needs. */
export interface PoolServiceDeps {
  readonly pools: PoolRepo;
  readonly volumes: VolumeRepo;
  readonly paths: DataPaths;
}

/** Pool use cases. */
export class PoolService {
  readonly #d: PoolServiceDeps;
  readonly #drivers = new Map<string, PoolDriver>();

  constructor(deps: PoolServiceDeps) {
    this.#d = deps;
  }

  /** Makes sure the `default` dir pool exists (in the data directory). Idempotent; run at start. */
  async ensureDefault(): Promise<PoolRow> {
    const existing = await this.#d.pools.find(defaultPoolName).catch(() => undefined);
    if (existing) return existing;
    const row: PoolRow = { id: randomUUID(), name: defaultPoolName, type: 'dir', path: this.#d.paths.defaultPool, volume_group: null, thin_pool: null, shared: 0, created_at: nowIso() };
    await this.driver(row).check();
    try {
      await this.#d.pools.insert(row);
    } catch (e) {
      // Hosts of a new cluster start together: another one may have made it a moment ago.
      const made = e instanceof HerdError && e.code === 'name_taken' ? await this.#d.pools.find(defaultPoolName).catch(() => undefined) : undefined;
      if (made) return made;
      throw e;
    }
    return row;
  }

  /** The storage driver of a pool. */
  driver(row: PoolRow): PoolDriver {
    let d = this.#drivers.get(row.id);
    if (!d) {
      d = driverFor(row);
      this.#drivers.set(row.id, d);
    }
    return d;
  }

  /** The pool row named or identified by `ref`; throws not_found. */
  find(ref: string): Promise<PoolRow> {
    return this.#d.pools.find(ref);
  }

  /** The pool row with this id. */
  row(id: string): Promise<PoolRow> {
    return this.#d.pools.get(id);
  }

  /** All pool rows. */
  rows(): Promise<PoolRow[]> {
    return this.#d.pools.list();
  }

  /** All pools with their space. */
  async list(): Promise<Pool[]> {
    return Promise.all((await this.#d.pools.list()).map((r) => this.#toApi(r)));
  }

  /** One pool with its space. */
  async get(ref: string): Promise<Pool> {
    return this.#toApi(await this.#d.pools.find(ref));
  }

  /** Adds a pool after checking its storage is there and usable. */
  async create(body: PoolCreate): Promise<Pool> {
    const bad = (field: string, reason: string) => new HerdError('validation_failed', { field, reason });
    let row: PoolRow;
    const base = { id: randomUUID(), name: body.name, type: body.type, created_at: nowIso() };
    if (body.type === 'dir') {
      if (body.volumeGroup !== undefined || body.thinPool !== undefined) throw bad('volumeGroup', 'dir pools take a path, not a volume group or thin pool');
      const path = body.path;
      if (path === undefined) throw bad('path', 'a dir pool needs an absolute directory path');
      if (!isAbsolute(path) || normalize(path) !== path.replace(/\/+$/, '') || path === '/') throw bad('path', 'give a normalized absolute directory path (no "..", not /)');
      const taken = (await this.#d.pools.list()).find((p) => p.path === normalize(path));
      if (taken) throw bad('path', `pool '${taken.name}' already uses ${path}`);
      row = { ...base, path: normalize(path), volume_group: null, thin_pool: null, shared: body.shared ? 1 : 0 };
    } else {
      if (body.path !== undefined) throw bad('path', 'lvm-thin pools take volumeGroup and thinPool, not a path');
      if (!body.volumeGroup) throw bad('volumeGroup', 'an lvm-thin pool needs the volume group that holds its thin pool');
      if (!body.thinPool) throw bad('thinPool', 'an lvm-thin pool needs the name of an existing thin pool LV');
      if (body.shared) throw bad('shared', 'lvm-thin pools are local to a host');
      row = { ...base, path: null, volume_group: body.volumeGroup, thin_pool: body.thinPool, shared: 0 };
    }
    if (await this.#d.pools.find(body.name).catch(() => undefined)) throw new HerdError('name_taken', { kind: 'pool', name: body.name, field: 'name' });
    const driver = driverFor(row);
    try {
      await driver.check();
    } catch (e) {
      throw new HerdError('pool_unusable', { name: body.name, reason: e instanceof Error ? e.message : String(e) });
    }
    await this.#d.pools.insert(row);
    return this.#toApi(row);
  }

  /** Forgets an empty pool; its storage (directory, thin pool) stays. */
  async delete(ref: string): Promise<Pool> {
    const row = await this.#d.pools.find(ref);
    const vols = await this.#d.volumes.inPool(row.id);
    if (vols.length) {
      const names = vols.filter((v) => v.role !== 'layer').map((v) => v.name);
      const layers = vols.length - names.length;
      const what = [...(names.length ? [`volume${names.length > 1 ? 's' : ''} ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`] : []), ...(layers ? [`${layers} linked-clone base layer(s)`] : [])];
      throw new HerdError('pool_in_use', { name: row.name, volumes: what.join(' and ') });
    }
    if (row.name === defaultPoolName) throw new HerdError('pool_in_use', { name: row.name, volumes: 'the default role (VMs and images use it when no pool is given)' });
    const api = await this.#toApi(row);
    await this.#d.pools.remove(row);
    this.#drivers.delete(row.id);
    return api;
  }

  /**
   * Throws insufficient_space unless `bytes` fit in the pool's free space. Thin-provisioned
   * storage may hold more than it has, but a volume that could never be filled is refused here
   * rather than failing with an I/O error inside a guest later.
   */
  async checkSpace(row: PoolRow, bytes: number): Promise<void> {
    const space = await this.driver(row).space();
    if (bytes > space.freeBytes) throw new HerdError('insufficient_space', { pool: row.name, free: formatSize(space.freeBytes), requested: formatSize(bytes), freeBytes: space.freeBytes, requestedBytes: bytes });
  }

  async #toApi(row: PoolRow): Promise<Pool> {
    const vols = await this.#d.volumes.inPool(row.id);
    let space = { capacityBytes: 0, usedBytes: 0, freeBytes: 0 };
    try {
      space = await this.driver(row).space();
    } catch {
      // Storage that went away shows as empty rather than failing the whole list.
    }
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      path: row.path,
      volumeGroup: row.volume_group,
      thinPool: row.thin_pool,
      shared: row.shared === 1,
      ...space,
      allocatedBytes: vols.filter((v) => v.role !== 'layer').reduce((n, v) => n + Number(v.size_bytes), 0),
      volumes: vols.filter((v) => v.role !== 'layer').length,
      createdAt: row.created_at,
    };
  }
}
