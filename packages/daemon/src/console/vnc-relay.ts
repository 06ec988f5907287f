/**
 * Carries a graphical console between a browser's WebSocket and QEMU's VNC server on its unix
 * socket, byte for byte: the RFB protocol passes through untouched (noVNC speaks it in the
 * browser). Either side closing closes the other. A screen update can be megabytes, so the
 * socket is paused while the WebSocket has too much unsent.
 */
import { connect } from 'node:net';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';

// Unsent bytes on the WebSocket above which QEMU's socket is paused, and below which it resumes.
const highWater = 4 * 1024 * 1024;
const lowWater = 1024 * 1024;

/** Relays `ws` to the unix socket at `path` until either closes. Call once per WebSocket. */
export function relayVnc(ws: WebSocket, path: string, log: Logger): void {
  const vnc = connect(path);
  let unsent = 0;
  let paused = false;

  vnc.on('data', (chunk: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    unsent += chunk.length;
    ws.send(chunk, { binary: true }, () => {
      unsent -= chunk.length;
      if (paused && unsent < lowWater) {
        paused = false;
        vnc.resume();
      }
    });
    if (!paused && unsent > highWater) {
      paused = true;
      vnc.pause();
    }
  });
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (!vnc.write(buf)) {
      // What the browser sends is keys and pointer moves; this only trips on a stuck QEMU.
      ws.pause();
      vnc.once('drain', () => ws.resume());
    }
  });

  vnc.on('error', (e) => {
    log.warn({ path, err: e.message }, 'VNC relay: the display socket failed');
    // 1011: the server met an unexpected condition; the reason is for people and at most 123 bytes.
    if (ws.readyState === ws.OPEN) ws.close(1011, `VNC server unreachable: ${e.message}`.slice(0, 120));
  });
  vnc.on('close', () => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, 'the VM display closed');
  });
  ws.on('close', () => vnc.destroy());
  ws.on('error', () => vnc.destroy());
}
