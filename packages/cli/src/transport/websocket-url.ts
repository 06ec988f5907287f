/** WebSocket addresses for the `ws` library, which names unix sockets its own way. */

/**
 * Turns a WebSocket URL built on a daemon's base URL into one `ws` can open: `unix:PATH/api/...`
 * (HerdClient's form for a unix socket) becomes `ws+unix:PATH:/api/...`; ws:// and wss:// stay.
 * `socketPath` is the daemon's socket, which says where the path of the socket ends.
 */
export function webSocketUrl(url: string, socketPath: string | undefined): string {
  if (socketPath === undefined || !url.startsWith(`unix:${socketPath}`)) return url;
  return `ws+unix:${socketPath}:${url.slice(`unix:${socketPath}`.length) || '/'}`;
}
