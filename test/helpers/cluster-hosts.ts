/**
 * Hosts of a test cluster on this machine: daemon processes with their own data directories and
 * host names, sharing one database, each listening on a loopback port it advertises to the
 * others. The first host makes the cluster admin; later ones get its token file, so every
 * host's client acts as the same admin.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DaemonProcess } from './daemon-process.js';

/** A free TCP port on loopback (free when asked; tests bind it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A daemon that is host `name` of a cluster. */
export class ClusterHost extends DaemonProcess {
  readonly name: string;
  readonly #args: string[];

  /** Host `name` on `db`, the shared database (a SQLite file or a postgres:// URL), on a free loopback port. */
  static async create(name: string, db: string, extraArgs: string[] = []): Promise<ClusterHost> {
    return new ClusterHost(name, db, await freePort(), extraArgs);
  }

  /** `port`: the loopback port it listens on and advertises. */
  constructor(name: string, db: string, port: number, extraArgs: string[] = []) {
    super();
    this.name = name;
    const url = `http://127.0.0.1:${port}`;
    this.#args = ['--db', db, '--host-name', name, '--listen', `127.0.0.1:${port}`, '--advertise', url, ...extraArgs];
  }

  /** Starts (or starts again) this host; `admin`: a host whose admin token file to use, when this one did not make the admin. */
  async join(admin?: DaemonProcess): Promise<void> {
    if (admin) copyFileSync(join(admin.dataDir, 'admin.token'), join(this.dataDir, 'admin.token'));
    await this.start(this.#args);
  }
}

/** A SQLite file for a test cluster's hosts to share, in a directory of its own; `remove()` once they are gone. */
export function sharedSqlite(): { readonly path: string; remove(): void } {
  const dir = mkdtempSync('/tmp/herd-cluster-db-');
  return { path: join(dir, 'cluster.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
