/**
 * The versioned migrations, in order. Never edit one that has shipped; add a new one. Each runs
 * on SQLite and on PostgreSQL (branch on store/dialect.ts where the SQL differs). Column types:
 * `bigint` for byte sizes, ms times and anything past 2^31 (PostgreSQL's `integer` is 32-bit),
 * `double precision` for reals (PostgreSQL's `real` has 4 bytes, SQLite's REAL 8), and a
 * `bigserial` key where SQLite has INTEGER PRIMARY KEY AUTOINCREMENT. SQLite gives those names
 * the same affinity as `integer` and `real`, which is why shipped migrations could take them.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-metrics.js';
import * as m0003 from './0003-alerts.js';
import * as m0004 from './0004-self-healing.js';
import * as m0005 from './0005-storage.js';
import * as m0006 from './0006-networks.js';
import * as m0007 from './0007-vm-display.js';
import * as m0008 from './0008-tenancy.js';
import * as m0009 from './0009-vm-confinement.js';
import * as m0010 from './0010-audit.js';
import * as m0011 from './0011-cluster.js';
import * as m0012 from './0012-host-details.js';
import * as m0013 from './0013-network-vni.js';

/** Migrations by name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-metrics': m0002,
  '0003-alerts': m0003,
  '0004-self-healing': m0004,
  '0005-storage': m0005,
  '0006-networks': m0006,
  '0007-vm-display': m0007,
  '0008-tenancy': m0008,
  '0009-vm-confinement': m0009,
  '0010-audit': m0010,
  '0011-cluster': m0011,
  '0012-host-details': m0012,
  '0013-network-vni': m0013,
};
