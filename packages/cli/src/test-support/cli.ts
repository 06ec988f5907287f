/**
 * Runs the built `herd` executable for command tests. `ensureBuilt` compiles and bundles the CLI
 * first (incremental, under a lock, because test files run in parallel workers).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const repoRoot = join(cliDir, '..', '..');
/** The built executable (packages/cli/bundle.mjs). */
export const mainJs = join(cliDir, 'dist', 'herd.mjs');

/** Builds packages/cli (and what it references) and bundles it once the lock is ours; next to a no-op when up to date. */
export function ensureBuilt(): void {
  const lock = join(cliDir, '.test-tmp', 'build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  while (!tryLock(lock)) {
    if (Date.now() > deadline) throw new Error(`another test has held ${lock} for 2 minutes; remove it if no build runs`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  try {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/cli'], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
    execFileSync(process.execPath, [join(cliDir, 'bundle.mjs')], { cwd: repoRoot, stdio: 'pipe' });
  } catch (e) {
    const out = [(e as { stdout?: Buffer }).stdout, (e as { stderr?: Buffer }).stderr].join('');
    throw new Error(`building packages/cli failed:\n${out}`);
  } finally {
    rmdirSync(lock);
  }
}

function tryLock(path: string): boolean {
  try {
    mkdirSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What a run of the CLI produced. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link runCli}. */
export interface RunOptions {
  /** The daemon URL (HERD_URL). */
  readonly url?: string;
  /** Written to stdin, which is then closed; stdin is closed at once when absent. */
  readonly input?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the CLI (the test's own by default). */
  readonly cwd?: string;
  /** Kill the CLI after this long (a hang is a failure). */
  readonly timeoutMs?: number;
}

/** A running CLI process. */
export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Output so far. */
  stdout(): string;
  /** Resolves when the process has exited and its pipes are drained. */
  readonly done: Promise<CliResult>;
}

/** Starts `herd ARGS`; stdin and stdout are pipes, so the CLI sees no terminal. */
export function startCli(args: readonly string[], options: RunOptions = {}): CliProcess {
  const env = { ...process.env };
  for (const name of ['HERD_URL', 'HERD_TOKEN', 'HERD_PROJECT', 'HERD_DATA_DIR', 'HERD_LISTEN', 'HERD_SOCKET', 'HERD_ACCEL', 'HERD_LOG_LEVEL']) delete env[name];
  const child = spawn(process.execPath, [mainJs, ...args], {
    // No config file unless a test gives one: the developer's own remotes must not leak in.
    env: { ...env, NO_COLOR: '1', HERD_CONFIG: join(cliDir, '.test-tmp', 'no-config.json'), ...(options.url && { HERD_URL: options.url }), ...options.env },
    stdio: 'pipe',
    cwd: options.cwd,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(options.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, done };
}

/** Runs `herd ARGS` to completion (see {@link startCli}). */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}
