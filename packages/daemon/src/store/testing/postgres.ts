/**
 * Throwaway PostgreSQL servers for tests: a fresh cluster (initdb) in a temporary directory,
 * started on a free loopback port with trust authentication and without fsync, then stopped at
 * once and removed. It uses the installed server's binaries (Debian's `postgresql` package)
 * and never the distribution's own cluster. initdb refuses to run as root, so as root (the test
 * machines) the server runs as user `postgres`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { run } from '../../host/exec.js';
import { freePort } from '../../host/free-port.js';

/** A running throwaway server. */
export interface PostgresServer {
  /** URL of its `postgres` database, as superuser `postgres` (no password). */
  readonly url: string;
  /** Creates a database (by default with a fresh random name) and resolves with its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server at once (no checkpoint) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const installRoot = '/usr/lib/postgresql';

/** The directory of the newest installed PostgreSQL's binaries; throws, saying what to install, when there is none. */
export function postgresBinDir(): string {
  const versions = existsSync(installRoot) ? readdirSync(installRoot).filter((v) => existsSync(join(installRoot, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0)
    throw new Error(`no PostgreSQL server binaries in ${installRoot}/VERSION/bin: install the Debian package postgresql (as root: apt-get install postgresql, or node scripts/setup.mjs --for test)`);
  return join(installRoot, versions[0]!, 'bin');
}

/** Directories of servers still running, removed at exit if a test run ends without stop(). */
const running = new Map<string, string>();
let exitHook = false;

/** Starts a fresh server; resolves once it accepts connections. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'herd-pg-'));
  const data = join(dir, 'data');
  try {
    // The server's user needs the directory (it holds the data, the log and the socket).
    if (asRoot) {
      const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
      await chown(dir, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
    }
    const pgRun = (program: string, args: string[]) => run(asRoot ? 'runuser' : join(bin, program), asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args, { cwd: dir, timeoutMs: 120_000 });
    await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    await appendFile(
      join(data, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        // Throwaway data: nothing needs to survive a crash.
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'shared_buffers = 16MB',
        'max_connections = 200',
        '',
      ].join('\n'),
    );
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await appendFile(join(data, 'postgresql.conf'), `port = ${port}\n`);
      const started = await pgRun('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'server.log')]).then(
        () => true,
        (e: unknown) => {
          // Someone else may have taken the port between the probe and the start.
          if (attempt >= 3) throw new Error(`PostgreSQL did not start: ${String(e)}\n${readLog(dir)}`);
          return false;
        },
      );
      if (started) break;
    }
    running.set(dir, data);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', killLeftovers);
    }
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    let stopped: Promise<void> | undefined;
    return {
      url,
      createDatabase: async (name = `herd_${randomBytes(6).toString('hex')}`) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
      },
      stop: () =>
        (stopped ??= (async () => {
          running.delete(dir);
          await pgRun('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', data]).catch(() => killPostmaster(data));
          await rm(dir, { recursive: true, force: true });
        })()),
    };
  } catch (e) {
    killPostmaster(data);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

let shared: Promise<PostgresServer> | undefined;

/**
 * One server for a whole test file (vitest loads modules afresh for each file), started by the
 * first call; give each test its own database with createDatabase, and call
 * {@link stopSharedPostgres} in afterAll.
 */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= startPostgres().catch((e: unknown) => {
    shared = undefined;
    throw e;
  });
  return shared;
}

/** Stops the server {@link sharedPostgres} started, if any. */
export async function stopSharedPostgres(): Promise<void> {
  const server = shared;
  shared = undefined;
  await (await server?.catch(() => undefined))?.stop();
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').slice(-20).join('\n');
  } catch {
    return '(no server log)';
  }
}

/** SIGQUIT (immediate shutdown) to the server of data directory `data`, if it runs. Synchronous, for the exit hook. */
function killPostmaster(data: string): void {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // Not running.
  }
}

function killLeftovers(): void {
  for (const [dir, data] of running) {
    killPostmaster(data);
    rmSync(dir, { recursive: true, force: true });
  }
}
