/**
 * The CLI's config file: the daemons it knows (remotes), their tokens and pinned certificates,
 * and which one is current. It holds secrets, so it is written 0600 in a 0700 directory, and
 * replaced whole (write, then rename), so a crash never leaves half a file.
 *
 *   {"current": "prod", "remotes": {"prod": {"url": "https://h:8443", "token": "...", "project": "web", "ca": "-----BEGIN..."}}}
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

/** A daemon the CLI knows. */
export interface Remote {
  /** http(s)://HOST:PORT or unix:PATH. */
  readonly url: string;
  readonly token?: string;
  /** The project commands act in (`x-herd-project`); the user's default when absent. */
  readonly project?: string;
  /** PEM of the certificate pinned for https (`herd remote add` stores it once accepted). */
  readonly ca?: string;
}

/** The whole config file. */
export interface CliConfig {
  readonly current?: string;
  readonly remotes: Readonly<Record<string, Remote>>;
}

/** Where the config lives: $HERD_CONFIG, else $XDG_CONFIG_HOME/herd/config.json, else ~/.config/herd/config.json. */
export function configPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.HERD_CONFIG) return env.HERD_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'herd', 'config.json');
}

/** Reads and checks the config at `path`; a missing file is an empty config. Throws a UsageError naming the file when it is malformed. */
export function readConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { remotes: {} };
    throw new UsageError(`cannot read the herd config ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`the herd config ${path} is not JSON (${(e as Error).message}); fix it or remove it`);
  }
  return checkConfig(data, path);
}

/** Writes `config` to `path` (0600, its directory 0700), replacing the old file atomically. */
export function writeConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.new`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

function checkConfig(data: unknown, path: string): CliConfig {
  const bad = (what: string): never => {
    throw new UsageError(`the herd config ${path} is malformed: ${what}; fix it or remove it`);
  };
  if (!isRecord(data)) return bad('it is not an object');
  const { current, remotes = {} } = data;
  if (current !== undefined && typeof current !== 'string') bad('"current" is not a string');
  if (!isRecord(remotes)) return bad('"remotes" is not an object');
  const checked: Record<string, Remote> = {};
  for (const [name, r] of Object.entries(remotes)) {
    if (!isRecord(r) || typeof r.url !== 'string') return bad(`remote '${name}' has no "url"`);
    for (const key of ['token', 'project', 'ca'] as const) if (r[key] !== undefined && typeof r[key] !== 'string') bad(`remote '${name}': "${key}" is not a string`);
    checked[name] = {
      url: r.url,
      ...(typeof r.token === 'string' && { token: r.token }),
      ...(typeof r.project === 'string' && { project: r.project }),
      ...(typeof r.ca === 'string' && { ca: r.ca }),
    };
  }
  return { ...(typeof current === 'string' && { current }), remotes: checked };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
