/**
 * A throwaway PostgreSQL server for a test cluster, run inside a network namespace (the
 * cluster's hub) and listening only on that namespace's address. It runs as the `postgres` user
 * (initdb refuses root) from a directory the test owns, with durability off: the database lives
 * as long as one test file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCollecting } from './cluster-spawn.js';

/** A running PostgreSQL server. */
export interface ClusterPostgres {
  /** The URL the daemons use: postgres://postgres@ADDRESS:5432/herd (trust auth from the subnet). */
  readonly url: string;
  /** The postmaster's pid. */
  readonly pid: number;
  /** Its log lines (stderr). */
  readonly logs: readonly string[];
  /** Runs SQL in database `herd` with psql (in the server's namespace) and returns psql's unaligned output. */
  psql(sql: string): string;
  /** Stops the server (fast shutdown, SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
}

/** Where to run the server. */
export interface PostgresPlace {
  /** The network namespace it runs in. */
  readonly netns: string;
  /** The address it listens on, in that namespace. */
  readonly address: string;
  /** The subnet allowed to connect without a password, e.g. 10.213.7.0/24. */
  readonly subnet: string;
  /** A new directory for its files (its parents must let user postgres pass). */
  readonly dir: string;
}

/**
 * The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/VERSION/bin), or
 * $HERD_TEST_PG_BIN.
 */
export function postgresBinDir(): string {
  const given = process.env.HERD_TEST_PG_BIN;
  if (given) return given;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`no PostgreSQL server under ${root}; install postgresql (Debian) or set HERD_TEST_PG_BIN`);
  return join(root, versions[0], 'bin');
}

/** Runs argv as user postgres, replacing this process (setpriv execs; runuser would fork). */
const asPostgres = (argv: string[]) => ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...argv];

/**
 * Initializes a cluster in `place.dir`, starts the server in `place.netns`, waits until it
 * accepts connections and creates database `herd`. Throws with the server's log when it fails
 * (the server is stopped then).
 */
export async function startPostgres(place: PostgresPlace): Promise<ClusterPostgres> {
  const bin = postgresBinDir();
  const data = join(place.dir, 'data');
  mkdirSync(place.dir, { mode: 0o700 });
  chownSync(place.dir, postgresUid(), postgresGid());
  await runToEnd(asPostgres([join(bin, 'initdb'), '--pgdata', data, '--username', 'postgres', '--auth', 'trust', '--no-sync', '--encoding', 'UTF8', '--no-instructions']), place.dir);
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(hba, `local all all trust\nhost all all ${place.subnet} trust\n`);
  chownSync(hba, postgresUid(), postgresGid());

  const settings = {
    listen_addresses: place.address,
    port: '5432',
    unix_socket_directories: place.dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '16MB',
    max_connections: '200',
  };
  const argv = ['ip', 'netns', 'exec', place.netns, ...asPostgres([join(bin, 'postgres'), '-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])])];
  const server = spawnCollecting(argv, { cwd: place.dir });
  const stop = async () => {
    if (server.exited) return;
    server.child.kill('SIGINT');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
    await server.exit;
    clearTimeout(timer);
  };
  try {
    await server.waitForLine((line) => line.includes('database system is ready to accept connections'), 30_000, 'PostgreSQL to accept connections');
  } catch (e) {
    await stop();
    throw e;
  }
  const url = `postgres://postgres@${place.address}:5432/herd`;
  const psql = (sql: string, db = 'herd') =>
    execFileSync('ip', ['netns', 'exec', place.netns, join(bin, 'psql'), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', place.address, '-U', 'postgres', '-d', db, '-c', sql], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    psql('CREATE DATABASE herd', 'postgres');
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, pid: server.child.pid!, logs: server.lines, psql: (sql) => psql(sql), stop };
}

/** Runs argv to its end in `cwd`; throws with its output when it fails. */
async function runToEnd(argv: string[], cwd: string): Promise<void> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}: ${out.slice(-2000)}`);
}

function postgresUid(): number {
  return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
}

function postgresGid(): number {
  return Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
}
