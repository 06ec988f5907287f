/**
 * Opens herd's database and brings its schema up to date: the host's own SQLite file, or, in
 * cluster mode, a PostgreSQL database that every host shares. The same Kysely queries run on
 * both; see store/dialect.ts for the few places that tell them apart.
 */
import SQLite from 'better-sqlite3';
import type pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Dialect, type MigrationProvider } from 'kysely';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

/** A database handle. */
export type Db = Kysely<Database>;

/** Whether `target` (as `--db` takes it) names a PostgreSQL server rather than a SQLite file. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

const postgresUrls = new WeakMap<Db, string>();

/** The PostgreSQL URL `db` was opened with (for connections of its own, such as a LISTEN); undefined for SQLite. */
export function postgresUrlOf(db: Db): string | undefined {
  return postgresUrls.get(db);
}

/**
 * Opens the database `target` and applies pending migrations. `target` is a `postgres://` or
 * `postgresql://` URL (a pool of connections to a cluster's shared database), or else the path
 * of a SQLite file (created if need be, in WAL mode). Call once at daemon start; `db.destroy()`
 * closes it. Concurrent opens of one PostgreSQL database are safe: migrations run under
 * Kysely's advisory lock, one host at a time.
 */
export async function openDatabase(target: string): Promise<Db> {
  const postgres = isPostgresUrl(target);
  const db = new Kysely<Database>({ dialect: postgres ? await postgresDialect(target) : sqliteDialect(target) });
  if (postgres) postgresUrls.set(db, target);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error, results } = await new Migrator({ db, provider, allowUnorderedMigrations: true }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await db.destroy();
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  return db;
}

function sqliteDialect(path: string): Dialect {
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode, which is the failure that matters here.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new SqliteDialect({ database: sqlite });
}

/**
 * Imports `pg`. Choosing its socket functions, pg probes for Cloudflare Workers by calling the
 * global `Response`, which Node builds lazily from undici, which needs WebAssembly; under the
 * daemon's lite mode (no WebAssembly, see main.ts) touching it throws. The daemon makes no
 * fetch() calls, so there `Response` is hidden before pg looks; elsewhere nothing changes.
 */
export async function loadPg(): Promise<typeof import('pg')> {
  if ((globalThis as { WebAssembly?: unknown }).WebAssembly === undefined) Object.defineProperty(globalThis, 'Response', { value: undefined, configurable: true, writable: true });
  return import('pg');
}

async function postgresDialect(url: string): Promise<Dialect> {
  // Loaded in cluster mode only: a single host does not pay for the driver (~4 MB of heap).
  const { default: driver } = await loadPg();
  const pool = new driver.Pool({ connectionString: url, application_name: 'herd', types: rowTypes(driver.types) });
  // A pooled connection that dies while idle (server restart, network cut) is dropped and
  // replaced at the next query; unheard, its 'error' event would end the daemon.
  pool.on('error', () => undefined);
  return new PostgresDialect({ pool });
}

/**
 * Parsers that make rows come back as SQLite gives them: int8 (bigint columns, serial keys, COUNT(*), SUM of
 * integers) and numeric (SUM of bigints) as JS numbers rather than strings, so that no
 * repository has to know which engine it reads. An int8 beyond 2^53 fails the query instead of
 * losing digits; herd stores no such number (byte sizes and ms times are far below).
 */
function rowTypes(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (format !== 'binary' && oid === types.builtins.INT8) return toSafeInteger;
      if (format !== 'binary' && oid === types.builtins.NUMERIC) return Number;
      return types.getTypeParser(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

function toSafeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`the database returned ${text}, beyond the integers JavaScript holds exactly`);
  return n;
}
