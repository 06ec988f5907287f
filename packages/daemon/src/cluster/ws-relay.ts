/**
 * Joins two open WebSockets: every message goes across as it came (text stays text, binary
 * stays binary), and when either side closes or fails, the other is closed with the same code
 * and reason, so the caller sees the far end's goodbye.
 */
import { WebSocket } from 'ws';

/** Relays messages between `a` and `b` until one of them closes. Call once both are open. */
export function relayWebSockets(a: WebSocket, b: WebSocket): void {
  pipe(a, b);
  pipe(b, a);
}

function pipe(from: WebSocket, to: WebSocket): void {
  from.on('message', (data: Buffer, isBinary: boolean) => {
    if (to.readyState === WebSocket.OPEN) to.send(data, { binary: isBinary });
  });
  from.on('close', (code: number, reason: Buffer) => closeWith(to, code, reason.toString('utf8')));
  // 'close' follows every 'error'; without a listener an error would end the daemon.
  from.on('error', () => from.terminate());
}

function closeWith(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
  if (ws.readyState === WebSocket.CONNECTING) return ws.terminate();
  // 1005 (no code), 1006 (dropped) and 1015 (TLS) describe a close but may not be sent in one.
  if (sendable(code)) ws.close(code, reason);
  else ws.close();
}

function sendable(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
