/** The TCP health probe: is something answering on host:port? */
import { connect } from 'node:net';

/**
 * Resolves with undefined when a TCP connection to `host:port` opens and stays open (or
 * receives data) for a moment, else with what went wrong. The moment matters: QEMU's
 * user-mode port forwards accept every connection on the host side and only then try the
 * guest, closing at once when nothing listens there, so "connected" alone proves nothing.
 */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  const settleMs = Math.min(500, Math.max(50, timeoutMs / 2));
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let done = false;
    const finish = (problem: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => finish(`no answer on ${host}:${port} within ${timeoutMs} ms`), timeoutMs);
    sock.once('connect', () => setTimeout(() => finish(undefined), settleMs));
    sock.once('data', () => finish(undefined));
    sock.once('error', (e) => finish(`${host}:${port}: ${e.message}`));
    sock.once('close', () => finish(`${host}:${port} closed the connection at once (nothing listens behind it)`));
  });
}
