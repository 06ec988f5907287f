/** A child process whose output lines a test keeps and can wait for (daemons, PostgreSQL). */
import { spawn, type ChildProcess } from 'node:child_process';

/** A spawned process and the lines it wrote so far (stdout and stderr together). */
export interface CollectingProcess {
  readonly child: ChildProcess;
  /** Every complete line written so far, in order of arrival. */
  readonly lines: string[];
  /** Whether it has exited. */
  readonly exited: boolean;
  /** Resolves with its exit code (or signal name) once it exited. */
  readonly exit: Promise<number | string | null>;
  /**
   * Resolves with the first line (already written or still to come) that `matches`; rejects
   * when the process exits first or after `timeoutMs`, with the last lines it wrote.
   */
  waitForLine(matches: (line: string) => boolean, timeoutMs: number, what: string): Promise<string>;
}

/** Spawns argv (no shell) with stdin closed and collects its output lines; `onLine` sees each too. */
export function spawnCollecting(argv: readonly string[], options: { cwd?: string; onLine?: (line: string) => void } = {}): CollectingProcess {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd !== undefined && { cwd: options.cwd }) });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let exited = false;
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        options.onLine?.(line);
        for (const l of listeners) l(line);
      }
    });
  }
  const exit = new Promise<number | string | null>((resolve) => {
    child.on('error', (e) => {
      lines.push(`spawn ${argv[0]}: ${e.message}`);
      exited = true;
      resolve(null);
    });
    child.on('exit', (code, signal) => {
      exited = true;
      resolve(code ?? signal);
    });
  });
  const tail = () => lines.slice(-40).join('\n');
  return {
    child,
    lines,
    get exited() {
      return exited;
    },
    exit,
    waitForLine(matches, timeoutMs, what) {
      const seen = lines.find(matches);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(onLine);
        };
        const onLine = (line: string) => {
          if (!matches(line)) return;
          done();
          resolve(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last output:\n${tail()}`));
        }, timeoutMs);
        listeners.add(onLine);
        void exit.then((code) => {
          if (!listeners.has(onLine)) return;
          done();
          // Let the last output arrive before quoting it (a grandchild may hold the pipes open: not long).
          const quote = () => reject(new Error(`${argv[0]} exited with ${code} before ${what}; last output:\n${tail()}`));
          if (child.stdout!.closed && child.stderr!.closed) quote();
          else {
            const t = setTimeout(quote, 200);
            child.once('close', () => {
              clearTimeout(t);
              quote();
            });
          }
        });
      });
    },
  };
}
