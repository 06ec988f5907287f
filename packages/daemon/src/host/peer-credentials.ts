/**
 * Who is at the other end of a connection on a unix socket: the kernel's record (SO_PEERCRED)
 * of the process that connected, which the process cannot forge. The local API socket gives
 * root full rights on the strength of this, as Incus does.
 */
import type { Socket } from 'node:net';
import { peerCredentials as readPeerCredentials, type PeerCredentials } from '@herd/peercred';

export type { PeerCredentials };

// A connection's peer never changes, so each socket is asked once.
const known = new WeakMap<Socket, PeerCredentials | undefined>();

/**
 * The pid, uid and gid of the process that opened `socket`, when `socket` is a connection
 * accepted on (or made to) a unix socket; undefined for TCP and TLS connections and for
 * sockets already closed. May be called at any time while the connection is open, e.g. from a
 * request hook with `request.raw.socket`.
 */
export function peerCredentials(socket: Socket): PeerCredentials | undefined {
  if (known.has(socket)) return known.get(socket);
  // Node keeps the descriptor on the socket's libuv handle; TLS sockets have a TLSWrap there, without one.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const credentials = readPeerCredentials(fd) ?? undefined;
  known.set(socket, credentials);
  return credentials;
}
