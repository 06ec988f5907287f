/** Picks the driver for a pool row. */
import type { PoolRow } from '../store/schema.js';
import { DirPool } from './dir-pool.js';
import { LvmThinPool } from './lvm-thin-pool.js';
import type { PoolDriver } from './pool-driver.js';

/** The driver of `row`'s storage. */
export function driverFor(row: PoolRow): PoolDriver {
  switch (row.type) {
    case 'dir':
      return new DirPool(row.path ?? '');
    case 'lvm-thin':
      return new LvmThinPool(row.volume_group ?? '', row.thin_pool ?? '');
  }
}
