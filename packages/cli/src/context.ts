/**
 * What every command needs: the API client, the output format and the terminal. Built from the
 * global options (`--url`, `-o`) when an action runs.
 */
import type { Command } from 'commander';
import { HerdClient } from '@herd/api';
import { UsageError } from './errors.js';
import type { OutputFormat } from './output/format.js';
import { colorEnabled } from './output/style.js';

/** The global options, as commander parses them. */
export interface GlobalOptions {
  readonly url: string;
  readonly output: OutputFormat;
}

/** The environment a command runs in. */
export interface Context {
  readonly client: HerdClient;
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
  return {
    client: new HerdClient({ url: checkUrl(opts.url) }),
    format: opts.output,
    color: colorEnabled(process.stdout),
    width: process.stdout.isTTY ? process.stdout.columns : undefined,
    print: (text) => void process.stdout.write(text),
    note: (text) => void process.stderr.write(`${text}\n`),
  };
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url '${url}' is not a URL; use the form http://HOST:PORT`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`--url '${url}' must start with http:// or https://`);
  return url;
}
