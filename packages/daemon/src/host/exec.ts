/**
 * The only module in the daemon that starts processes. Every external program herd runs
 * (qemu-img, qemu-system-*, mke2fs, ...) goes through here, always as an argv array and never
 * through a shell, so user-supplied strings can never be interpreted as shell syntax.
 */
import { spawn } from 'node:child_process';

/** Outcome of a finished command. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link run}. */
export interface RunOptions {
  /** Kill the command (SIGKILL) after this many milliseconds. Default: 120 s. */
  readonly timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. */
  readonly input?: string | Buffer;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolve instead of throwing when the exit code is not 0. */
  readonly allowFailure?: boolean;
  /** Called with each chunk of stderr (for progress parsing). */
  readonly onStderr?: (chunk: string) => void;
  /** Called with each chunk of stdout (for progress parsing). */
  readonly onStdout?: (chunk: string) => void;
}

/** A command that could not be run or exited non-zero. */
export class ExecError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly result: ExecResult,
  ) {
    const detail = result.stderr.trim() || result.stdout.trim() || `exit code ${result.code}`;
    super(`${command} failed: ${detail}`);
    this.name = 'ExecError';
  }
}

/**
 * Runs `command` with `args` to completion and returns its output. Throws {@link ExecError} when
 * it exits non-zero (unless `allowFailure`), times out, or cannot be started.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      options.onStdout?.(b.toString());
    });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      options.onStderr?.(b.toString());
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ExecError(command, args, { code: -1, stdout: '', stderr: e.message }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: ExecResult = {
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: timedOut
          ? `timed out after ${options.timeoutMs ?? 120_000} ms`
          : Buffer.concat(err).toString() + (signal ? `killed by ${signal}` : ''),
      };
      if (result.code !== 0 && !options.allowFailure) reject(new ExecError(command, args, result));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Options for {@link startDetached}. */
export interface DetachedOptions {
  /** Run as this user and group (the daemon must be root); supplementary groups are dropped. Absent: the daemon's own. */
  readonly uid?: number;
  readonly gid?: number;
  /** An open file descriptor that gets the process's stdout and stderr; stdin is /dev/null. */
  readonly outputFd: number;
  /** The whole environment of the process (nothing of the daemon's is passed on by default). */
  readonly env: NodeJS.ProcessEnv;
}

/** A process started by {@link startDetached}. */
export interface DetachedProcess {
  readonly pid: number;
  /** Settles when the process exits (while this daemon still runs; after a restart it is not our child). */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

/**
 * Starts `command` in a session of its own (setsid), in `/`, so that it outlives the daemon, and
 * resolves once it runs. For long-lived processes that cannot daemonize themselves (QEMU under
 * its seccomp sandbox may not fork). The daemon does not wait for it, but still reaps it if it
 * exits first, so no zombie is left. Throws {@link ExecError} if it cannot be started.
 */
export async function startDetached(command: string, args: readonly string[], options: DetachedOptions): Promise<DetachedProcess> {
  const child = spawn(command, [...args], {
    cwd: '/',
    env: options.env,
    detached: true,
    stdio: ['ignore', options.outputFd, options.outputFd],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) => reject(new ExecError(command, args, { code: -1, stdout: '', stderr: e.message })));
  });
  child.unref();
  return { pid: child.pid!, exited };
}

/** Reports whether `command` can be found on PATH. */
export async function commandExists(command: string): Promise<boolean> {
  const r = await run('sh', ['-c', 'command -v "$1"', 'sh', command], { allowFailure: true });
  return r.code === 0;
}
