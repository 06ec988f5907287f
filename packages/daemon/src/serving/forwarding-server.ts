/**
 * A server that accepts connections on one more address and hands every request and WebSocket
 * upgrade to the app's own server, which never listens itself. Fastify and @fastify/websocket
 * see the real connection (`request.raw.socket`), so peer credentials and TLS state are those
 * of the listener the request came through.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';

/** A listening server made by {@link createForwardingServer}. */
export interface ForwardingServer {
  readonly server: Server;
  /** Stops accepting, ends every connection (WebSockets too) and resolves once all are gone. */
  close(): Promise<void>;
}

/**
 * Makes a plain HTTP server, or an HTTPS one with `tls`, that forwards to `target` (the app's
 * server) and takes over its timeouts. Listen on the returned server yourself.
 */
export function createForwardingServer(target: Server, tls?: { readonly key: string; readonly cert: string }): ForwardingServer {
  const options = { requestTimeout: target.requestTimeout, headersTimeout: target.headersTimeout, keepAliveTimeout: target.keepAliveTimeout };
  const server: Server = tls ? createHttpsServer({ ...options, key: tls.key, cert: tls.cert }) : createHttpServer(options);
  server.setTimeout(target.timeout);
  // Upgraded connections leave the server's bookkeeping: keep them to end them on close.
  const upgraded = new Set<Duplex>();
  server.on('request', (req, res) => target.emit('request', req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    target.emit('upgrade', req, socket, head);
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }),
  };
}
