/**
 * For integration tests: a TCP proxy on 127.0.0.1 that forwards every connection to a target and
 * records what clients send, to show what travels on the wire (its first bytes, how many, and
 * whether a given byte string ever appeared in it).
 */
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** What one client sent through the proxy. */
export interface RecordedConnection {
  /** The first bytes (up to `headBytes`). */
  head: Buffer;
  bytes: number;
  /** Whether the watched byte string appeared anywhere in the stream. */
  sawWatched: boolean;
}

/** A started proxy; {@link close} it when done. */
export class RecordingProxy {
  readonly connections: RecordedConnection[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on a free port of 127.0.0.1 and forwards to `target`, looking for `watch` in what clients send. */
  static async start(target: { readonly host: string; readonly port: number }, watch: Buffer, headBytes = 64): Promise<RecordingProxy> {
    const server = createServer();
    const proxy = new RecordingProxy(server);
    server.on('connection', (client) => {
      const record: RecordedConnection = { head: Buffer.alloc(0), bytes: 0, sawWatched: false };
      proxy.connections.push(record);
      const upstream = createConnection(target);
      for (const s of [client, upstream]) {
        proxy.#sockets.add(s);
        s.on('close', () => proxy.#sockets.delete(s));
        s.on('error', () => (s === client ? upstream : client).destroy());
      }
      // The tail of the previous chunk, so that a match split between two chunks is found too.
      let carry = Buffer.alloc(0);
      client.on('data', (chunk: Buffer) => {
        if (record.head.length < headBytes) record.head = Buffer.concat([record.head, chunk.subarray(0, headBytes - record.head.length)]);
        record.bytes += chunk.length;
        const window = Buffer.concat([carry, chunk]);
        if (window.includes(watch)) record.sawWatched = true;
        carry = window.subarray(Math.max(0, window.length - watch.length + 1));
      });
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
