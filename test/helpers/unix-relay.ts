/** A loopback TCP port here that forwards every connection to a unix socket (a daemon in another network namespace). */
import { connect, createServer, type Socket } from 'node:net';

/** Listens on 127.0.0.1:0 and pipes each connection to `socketPath`; `url` is its http URL. */
export async function relayToUnixSocket(socketPath: string): Promise<{ url: string; close(): void }> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(socketPath);
    open.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}
