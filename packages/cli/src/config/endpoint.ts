/**
 * Which daemon a command talks to, and as whom. Flags and environment variables win, then the
 * current remote of the config file, then the local daemon's socket if there is one, then
 * http://127.0.0.1:8080.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { CliConfig } from './config-file.js';

/** Where and as whom the CLI talks to a daemon. */
export interface Endpoint {
  /** http(s)://HOST:PORT or unix:PATH. */
  readonly url: string;
  readonly token?: string;
  readonly project?: string;
  /** PEM to trust for https (pinned by `herd remote add`). */
  readonly ca?: string;
  /** The remote this came from, if it came from one. */
  readonly remote?: string;
}

/** The global options that choose the endpoint (each from its flag or environment variable). */
export interface EndpointFlags {
  readonly url?: string;
  readonly token?: string;
  readonly project?: string;
}

/** The daemon URL when nothing is configured and no local socket exists. */
export const defaultUrl = 'http://127.0.0.1:8080';

/**
 * Local sockets tried when nothing is configured: a system daemon's, then that of `npm start`
 * (data directory ./var) run from the current directory.
 */
export function localSockets(): string[] {
  return ['/var/lib/herd/herd.sock', resolve('var', 'herd.sock')];
}

/**
 * Resolves the endpoint. `config` is read only when needed (a `--url` does not need it);
 * `exists` is for tests. Throws a UsageError when the config's current remote is gone.
 */
export function resolveEndpoint(flags: EndpointFlags, config: () => CliConfig, exists: (path: string) => boolean = existsSync): Endpoint {
  const extra = { ...(flags.token !== undefined && { token: flags.token }), ...(flags.project !== undefined && { project: flags.project }) };
  if (flags.url !== undefined) return { url: flags.url, ...extra };
  const { current, remotes } = config();
  if (current !== undefined) {
    const remote = remotes[current];
    if (!remote) throw new UsageError(`the current remote '${current}' is not in the config; choose another with \`herd remote switch NAME\``);
    return { ...remote, ...extra, remote: current };
  }
  const socket = localSockets().find((p) => exists(p));
  return { url: socket ? `unix:${socket}` : defaultUrl, ...extra };
}
