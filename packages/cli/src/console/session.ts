/**
 * The serial console client. The daemon's console WebSocket carries raw console bytes both ways:
 * every frame it sends (text or binary) is guest output, and every frame we send is typed input.
 *
 * Two modes, chosen by whether stdin is a terminal:
 * - interactive: the terminal goes into raw mode, keys go to the guest as typed, Ctrl-] detaches;
 * - script: stdin is sent to the guest as it arrives, output is printed, and the session ends
 *   once stdin has ended and the guest has then been quiet for `quietMs`, or as soon as the
 *   guest prints `until`.
 */
import WebSocket from 'ws';
import { detachHint, splitAtEscape } from './escape.js';
import { connectionErrorOf, errorFromClose, errorFromResponse } from './upgrade-errors.js';

/** What {@link attachConsole} needs. */
export interface ConsoleOptions {
  /** The console's WebSocket URL (`HerdClient.consoleUrl`). */
  readonly url: string;
  /** Headers to send with the upgrade (who calls, in which project). */
  readonly headers?: Record<string, string>;
  /** PEM to trust for wss:// (the remote's pinned certificate). */
  readonly ca?: string;
  /** The daemon's base URL, for "cannot reach" errors. */
  readonly baseUrl: string;
  /** The VM's name, for the messages. */
  readonly name: string;
  /** Script mode: how long the guest must be quiet after stdin ends before the session ends. */
  readonly quietMs: number;
  /** Script mode: end as soon as the guest's output contains this text. */
  readonly until?: string;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
}

/** Pause reading stdin while this much input waits to be sent. */
const highWater = 1024 * 1024;

/**
 * Attaches to a VM's serial console and resolves when the session ends (detached, stdin done
 * and the guest quiet, or the daemon closed the console). Rejects with a HerdError when the
 * daemon refuses the connection (an HTTP error, or a close code 4000 + status such as 4404) and
 * a ConnectionError when it cannot be reached.
 */
export function attachConsole(options: ConsoleOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const interactive = stdin.isTTY === true;

  return new Promise((resolve, reject) => {
    const ws = new WebSocket(options.url, { headers: options.headers ?? {}, ...(options.ca !== undefined && { ca: options.ca }) });
    let settled = false;
    let stdinEnded = false;
    let quietTimer: NodeJS.Timeout | undefined;
    // The end of the output so far: enough to find `until` split across frames.
    let tail = '';

    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(quietTimer);
      stdin.off('data', interactive ? onKeys : onInput);
      stdin.off('end', onInputEnd);
      if (interactive) stdin.setRawMode(false);
      stdin.pause();
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000);
        setTimeout(() => ws.terminate(), 500).unref();
      } else if (ws.readyState === WebSocket.CONNECTING) {
        ws.terminate();
      }
      if (error) reject(error);
      else resolve();
    };

    const armQuietTimer = () => {
      clearTimeout(quietTimer);
      quietTimer = setTimeout(() => finish(), options.quietMs);
    };

    const onKeys = (chunk: Buffer) => {
      const { send, detach } = splitAtEscape(chunk);
      if (send.length > 0) ws.send(send);
      if (detach) {
        stderr.write('\r\n');
        finish();
      }
    };

    const onInput = (chunk: Buffer) => {
      ws.send(chunk, () => {
        if (ws.bufferedAmount < highWater && stdin.isPaused() && !settled) stdin.resume();
      });
      if (ws.bufferedAmount >= highWater) stdin.pause();
    };

    const onInputEnd = () => {
      stdinEnded = true;
      armQuietTimer();
    };

    ws.on('unexpected-response', (_req, res) => {
      errorFromResponse(res).then(finish, finish);
    });
    ws.on('error', (e) => finish(connectionErrorOf(e, options.baseUrl)));
    ws.on('open', () => {
      if (interactive) {
        stderr.write(`connected to ${options.name}'s serial console; ${detachHint}\r\n`);
        stdin.setRawMode(true);
        stdin.on('data', onKeys);
      } else {
        stdin.on('data', onInput);
        stdin.on('end', onInputEnd);
      }
      stdin.resume();
    });
    ws.on('message', (data: WebSocket.RawData) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      stdout.write(bytes);
      if (!interactive && options.until) {
        const seen = tail + bytes.toString('latin1');
        if (seen.includes(options.until)) {
          finish();
          return;
        }
        tail = seen.slice(-options.until.length);
      }
      if (stdinEnded) armQuietTimer();
    });
    ws.on('close', (code, reasonBytes) => {
      if (settled) return;
      const reason = reasonBytes.toString('utf8');
      const refused = errorFromClose(code, reason);
      if (refused) {
        if (interactive) stderr.write('\r\n');
        finish(refused);
        return;
      }
      const why = reason ? `: ${reason}` : code === 1000 ? '' : ` (code ${code})`;
      stderr.write(`${interactive ? '\r\n' : ''}herd: the daemon closed ${options.name}'s console${why}\n`);
      finish();
    });
  });
}
