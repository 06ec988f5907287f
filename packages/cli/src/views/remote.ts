/** How the remotes of the config file look in `herd remote list`; tokens are never shown. */
import { X509Certificate } from 'node:crypto';
import type { CliConfig, Remote } from '../config/config-file.js';
import { renderTable, type Column } from '../output/table.js';

/** A remote as `remote list -o json` prints it: what it is, not its secrets. */
export interface RemoteRow {
  readonly name: string;
  readonly url: string;
  readonly project: string | null;
  /** token: a token is stored; socket: a unix socket, where the daemon knows the caller by uid; none: neither. */
  readonly auth: 'token' | 'socket' | 'none';
  /** SHA-256 fingerprint of the pinned certificate, for https remotes that have one. */
  readonly certificate: string | null;
  readonly current: boolean;
}

/** The rows of `herd remote list`, sorted by name. */
export function remoteRows(config: CliConfig): RemoteRow[] {
  return Object.entries(config.remotes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, r]) => ({ name, url: r.url, project: r.project ?? null, auth: authOf(r), certificate: fingerprintOf(r.ca), current: name === config.current }));
}

const columns: readonly Column[] = [{ header: 'NAME' }, { header: 'URL', shrink: true }, { header: 'PROJECT' }, { header: 'AUTH' }, { header: 'CURRENT' }];

/** The `herd remote list` table. */
export function remoteTable(rows: readonly RemoteRow[], width?: number): string {
  return renderTable(columns, rows.map((r) => [r.name, r.url, r.project ?? '-', r.auth, r.current ? '*' : '']), { maxWidth: width });
}

function authOf(r: Remote): RemoteRow['auth'] {
  if (r.token) return 'token';
  return r.url.startsWith('unix:') ? 'socket' : 'none';
}

function fingerprintOf(pem: string | undefined): string | null {
  if (!pem) return null;
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return null;
  }
}
