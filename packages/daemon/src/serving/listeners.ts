/**
 * Where the daemon serves its API: always on the local unix socket (DATA/herd.sock, where root
 * has full rights by peer credentials), and on `--listen`, a TCP address or another unix socket.
 * TCP beyond loopback is always HTTPS, with the given certificate or herd's own CA; plain HTTP
 * is only ever served on loopback and unix sockets.
 */
import { once } from 'node:events';
import { chmod } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { certificateNames, withHost } from './certificate-names.js';
import { createForwardingServer, type ForwardingServer } from './forwarding-server.js';
import { loadGivenCertificate } from './given-certificate.js';
import { isLoopbackHost, parseListen, tcpUrl } from './listen-address.js';
import { ensureServerCertificate, type ServerTls } from './server-certificate.js';
import { claimSocketPath } from './unix-socket.js';

/** Where and how to serve. */
export interface ListenOptions {
  /** `--listen`: HOST:PORT (port 0 picks a free one) or unix:PATH. */
  readonly listen: string;
  /** The local socket (`--socket`, default DATA/herd.sock). */
  readonly socketPath: string;
  /** `--tls-cert` and `--tls-key`: serve TCP with these instead of herd's own CA. */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** Where herd keeps its own CA and server certificate (DATA/tls). */
  readonly tlsDir: string;
  /** The host name or address other hosts reach this one under (from `--advertise`): herd's own certificate covers it too. */
  readonly advertiseHost?: string;
  readonly log: Logger;
}

/** The daemon's listeners, all serving the same app. */
export interface Listeners {
  /** The `--listen` URL: http(s)://HOST:PORT or unix:PATH. */
  readonly url: string;
  /** The local socket's path. */
  readonly socketPath: string;
  /** SHA-256 fingerprint of the certificate HTTPS clients should trust, when serving HTTPS. */
  readonly tlsFingerprint?: string;
  /** Stops every listener and ends its connections. */
  close(): Promise<void>;
}

/**
 * Serves `app` (a server that is ready but does not listen, e.g. a ready Fastify app's `server`)
 * on the local socket and on `--listen`. Call once per daemon; throws before listening anywhere
 * when the address is wrong, the TLS files are bad, or a socket path is served by someone else.
 */
export async function startListeners(app: Server, options: ListenOptions): Promise<Listeners> {
  const address = parseListen(options.listen);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new Error('give both --tls-cert and --tls-key, or neither');
  if (address.kind === 'unix' && options.tlsCert) throw new Error(`--tls-cert applies to TCP; --listen ${options.listen} is a unix socket`);
  const tls = address.kind === 'tcp' ? await tlsFor(address.host, options) : undefined;

  const started: ForwardingServer[] = [];
  try {
    started.push(await listenUnix(app, options.socketPath));
    let url: string;
    if (address.kind === 'unix') {
      if (address.path !== options.socketPath) started.push(await listenUnix(app, address.path));
      url = `unix:${address.path}`;
    } else {
      const tcp = createForwardingServer(app, tls);
      started.push(tcp);
      tcp.server.listen({ host: address.host, port: address.port });
      await once(tcp.server, 'listening');
      url = tcpUrl(tls ? 'https' : 'http', address.host, (tcp.server.address() as AddressInfo).port);
    }
    return { url, socketPath: options.socketPath, ...(tls && { tlsFingerprint: tls.fingerprint }), close: async () => void (await Promise.all(started.map((s) => s.close()))) };
  } catch (e) {
    await Promise.all(started.map((s) => s.close()));
    throw e;
  }
}

/** TLS for a TCP listener: the given certificate, else herd's own beyond loopback, else none. */
async function tlsFor(host: string, options: ListenOptions): Promise<ServerTls | undefined> {
  if (options.tlsCert && options.tlsKey) return loadGivenCertificate(options.tlsCert, options.tlsKey);
  if (isLoopbackHost(host)) return undefined;
  const names = certificateNames(host);
  return ensureServerCertificate(options.tlsDir, options.advertiseHost ? withHost(names, options.advertiseHost) : names, options.log);
}

/** Listens on a unix socket, readable and writable by its owner and group only. */
async function listenUnix(app: Server, path: string): Promise<ForwardingServer> {
  await claimSocketPath(path);
  const forwarding = createForwardingServer(app);
  forwarding.server.listen({ path });
  await once(forwarding.server, 'listening');
  await chmod(path, 0o660);
  return forwarding;
}
