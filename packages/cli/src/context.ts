/**
 * What every command needs: the API client, the output format and the terminal. Built from the
 * global options (`--url`, `--remote`, `--token`, `--project`, `-o`) and the config file when an
 * action runs.
 */
import type { Command } from 'commander';
import { HerdClient } from '@herd/api';
import { configPath, readConfig } from './config/config-file.js';
import { resolveEndpoint, type Endpoint, type EndpointFlags } from './config/endpoint.js';
import { UsageError } from './errors.js';
import type { OutputFormat } from './output/format.js';
import { colorEnabled } from './output/style.js';
import { transportFetch } from './transport/node-fetch.js';

/** The global options, as commander parses them. */
export interface GlobalOptions extends EndpointFlags {
  readonly output: OutputFormat;
}

/** The environment a command runs in. */
export interface Context {
  readonly client: HerdClient;
  /** The daemon the client talks to, and as whom (for WebSocket connections). */
  readonly endpoint: Endpoint;
  readonly format: OutputFormat;
  /** Color stdout (a TTY, NO_COLOR unset). */
  readonly color: boolean;
  /** The terminal width for tables, when stdout is a terminal; undefined for pipes and files. */
  readonly width: number | undefined;
  /** Writes the command's result to stdout. */
  print(text: string): void;
  /** Writes a line for people (hints, notes) to stderr. */
  note(text: string): void;
}

/** Builds the context of a running action from its command's options and the global ones. */
export function contextOf(command: Command): Context {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const endpoint = resolveEndpoint(opts, () => readConfig(configPath()));
  return {
    client: clientFor(endpoint),
    endpoint,
    format: opts.output,
    color: colorEnabled(process.stdout),
    width: process.stdout.isTTY ? process.stdout.columns : undefined,
    print: (text) => void process.stdout.write(text),
    note: (text) => void process.stderr.write(`${text}\n`),
  };
}

/** A client for `endpoint`, over node:http(s) or its unix socket; checks the URL first. */
export function clientFor(endpoint: Endpoint): HerdClient {
  const url = checkUrl(endpoint.url);
  return new HerdClient({
    url,
    ...(endpoint.token !== undefined && { token: endpoint.token }),
    ...(endpoint.project !== undefined && { project: endpoint.project }),
    fetch: transportFetch({ url, ...(endpoint.ca !== undefined && { ca: endpoint.ca }) }),
  });
}

/** Checks a daemon URL: http(s)://HOST[:PORT] or unix:/absolute/path; returns it. */
export function checkUrl(url: string): string {
  const from = 'use http://HOST:PORT, https://HOST:PORT or unix:/path/to/herd.sock';
  if (url.startsWith('unix:')) {
    if (!url.startsWith('unix:/')) throw new UsageError(`'${url}' names no absolute socket path; ${from}`);
    return url;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`'${url}' is not a URL; ${from}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`'${url}' must start with http://, https:// or unix:`);
  return url;
}
