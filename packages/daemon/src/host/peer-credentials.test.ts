import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peerCredentials } from './peer-credentials.js';

let dir: string;
let server: Server;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-peercred-'));
});
afterEach(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Listens on `address` and resolves with what peerCredentials says of the first connection. */
async function listen(address: string | { port: 0; host: string }): Promise<{ ready: Promise<void>; first: Promise<ReturnType<typeof peerCredentials>> }> {
  let seen!: (c: ReturnType<typeof peerCredentials>) => void;
  const first = new Promise<ReturnType<typeof peerCredentials>>((r) => (seen = r));
  server = createServer((socket: Socket) => {
    seen(peerCredentials(socket));
    socket.end();
  });
  if (typeof address === 'string') server.listen(address);
  else server.listen(address.port, address.host);
  return { ready: once(server, 'listening').then(() => undefined), first };
}

describe('peerCredentials', () => {
  it("gives a unix socket client's pid, uid and gid", async () => {
    const path = join(dir, 's.sock');
    const { ready, first } = await listen(path);
    await ready;
    const client = createConnection(path);
    expect(await first).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    client.destroy();
  });

  it('gives nothing for a TCP connection', async () => {
    const { ready, first } = await listen({ port: 0, host: '127.0.0.1' });
    await ready;
    const client = createConnection((server.address() as AddressInfo).port, '127.0.0.1');
    expect(await first).toBeUndefined();
    client.destroy();
  });

  it('gives nothing for a closed socket', async () => {
    const path = join(dir, 's.sock');
    let closed!: (s: Socket) => void;
    const done = new Promise<Socket>((r) => (closed = r));
    server = createServer((socket) => socket.on('close', () => closed(socket)).end()).listen(path);
    await once(server, 'listening');
    createConnection(path);
    expect(peerCredentials(await done)).toBeUndefined();
  });

  it.skipIf(process.getuid?.() !== 0)('sees the uid of a client that runs as another user', async () => {
    const path = join(dir, 's.sock');
    const { ready, first } = await listen(path);
    await ready;
    await chmod(dir, 0o755);
    await chmod(path, 0o666);
    const client = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('net').connect(${JSON.stringify(path)}).on('close', () => process.exit(0)).resume()`], { stdio: 'inherit' });
    const credentials = await first;
    expect(credentials).toEqual({ pid: client.pid, uid: 65534, gid: 65534 });
    await once(client, 'close');
  });
});
