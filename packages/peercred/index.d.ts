/** The process at the other end of a unix socket, as the kernel recorded it when it connected. */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Reads SO_PEERCRED of the connected socket `fd`. Returns null when `fd` is not a unix socket
 * (TCP peers have no credentials); throws when `fd` is not a socket or is closed.
 */
export function peerCredentials(fd: number): PeerCredentials | null;
