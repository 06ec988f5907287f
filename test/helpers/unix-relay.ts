/** A loopback TCP port here that forwards every connection to a unix socket (a daemon in another network namespace). */
import { spawn } from 'node:child_process';
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

// Runs inside the namespace: listens on argv[1] (a unix socket) and pipes each connection to
// TCP argv[2]:argv[3]; prints "ready" once it listens.
const netnsRelayScript = `
const net = require('node:net');
const [socketPath, host, port] = process.argv.slice(1);
require('node:fs').rmSync(socketPath, { force: true });
net.createServer((c) => {
  const u = net.connect(Number(port), host);
  const end = () => { c.destroy(); u.destroy(); };
  c.on('error', end).on('close', end);
  u.on('error', end).on('close', end);
  c.pipe(u).pipe(c);
}).listen(socketPath, () => console.log('ready'));
`;

/**
 * Makes TCP `host:port` inside network namespace `ns` reachable here as unix socket
 * `socketPath` (the file system is shared, the network is not), through a relay process that
 * runs in the namespace. Resolves once it listens; `close()` ends it.
 */
export async function relayOutOfNetns(ns: string, host: string, port: number, socketPath: string): Promise<{ close(): void }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', netnsRelayScript, socketPath, host, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the relay in namespace ${ns} exited with ${code}`)));
  });
  return { close: () => void child.kill() };
}
