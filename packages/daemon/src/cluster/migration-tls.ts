/**
 * TLS for a live migration's streams (RAM and NBD mirrors) in a cluster that speaks HTTPS. All
 * hosts trust one CA (cluster-tls.ts) and each has a server certificate from it for the name
 * others reach it under (`--advertise`). The destination's QEMU serves with that certificate;
 * the source's checks it against the CA and that name, so nobody between the hosts can read or
 * change the guest's memory or disks.
 *
 * The destination does not ask the source for a certificate: the source is known from the
 * forward-signed `migrate-prepare` call that opened the ports, and a client certificate would
 * put a host key into the source's QEMU, which runs the guest throughout. What that leaves open:
 * whoever reaches the destination's ports on the underlay while they are open can connect too.
 * A stranger taking the one migration connection first makes the source's migration fail (the
 * guest runs on there; the destination's copy, never run, is thrown away); the NBD server,
 * though, takes several clients, and a stranger's writes to an export could reach a disk copy
 * unnoticed.
 *
 * QEMU gets the credentials as files in the VM's run directory, readable by its own user only,
 * for the moment it reads them (qmp-tls.ts): this host's server key is on disk outside DATA/tls
 * for no longer than one `object-add`.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { QmpClient } from '../qemu/qmp-client.js';
import { addTlsCreds, removeTlsCreds, type TlsEndpoint } from '../qemu/qmp-tls.js';
import { removeTlsCredsDir, writeTlsCredsDir, type TlsCredsPem } from '../qemu/tls-creds-dir.js';
import { withHost } from '../serving/certificate-names.js';
import { ensureServerCertificate } from '../serving/server-certificate.js';

/** The QEMU id of a migration's credentials, the same on both hosts (one migration of a VM at a time). */
export const MIGRATION_TLS_ID = 'herd-mig-tls';

/** Where the credentials' files go for a moment: inside the VM's run directory, which its QEMU may read. */
export function migrationTlsDir(runDir: string): string {
  return join(runDir, 'mig-tls');
}

/**
 * Gives the QEMU of run directory `runDir` the migration's credentials for `endpoint` (a server
 * needs `pem.serverCert` and `pem.serverKey`, a client only the CA) and returns their id, for
 * `tlsCreds`. A client checks the server's certificate; a server does not ask for one.
 * Idempotent; the files are gone again when it returns, even when it throws.
 */
export async function ensureMigrationTls(qmp: QmpClient, runDir: string, endpoint: TlsEndpoint, pem: TlsCredsPem): Promise<string> {
  if (endpoint === 'server' && (pem.serverCert === undefined || pem.serverKey === undefined)) throw new RangeError('server credentials need a certificate and its key');
  const dir = migrationTlsDir(runDir);
  try {
    await writeTlsCredsDir(dir, endpoint === 'server' ? pem : { caCert: pem.caCert }, await runDirOwner(runDir));
    await addTlsCreds(qmp, { id: MIGRATION_TLS_ID, dir, endpoint, verifyPeer: endpoint === 'client' });
  } finally {
    await removeTlsCredsDir(dir);
  }
  return MIGRATION_TLS_ID;
}

/**
 * Removes the migration's credentials from the QEMU of `runDir` (when `qmp` is given) and their
 * files, if any are left. Idempotent. Call when the migration has ended, either way, and on the
 * destination before the guest runs there.
 */
export async function dropMigrationTls(qmp: QmpClient | undefined, runDir: string): Promise<void> {
  try {
    if (qmp) await removeTlsCreds(qmp, MIGRATION_TLS_ID);
  } finally {
    await removeTlsCredsDir(migrationTlsDir(runDir));
  }
}

/**
 * Whom QEMU runs as: the owner of its run directory (launch.ts hands it to the VM's user). Only
 * a daemon running as root can give files away; one that is not runs QEMU as itself.
 */
async function runDirOwner(runDir: string): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const s = await stat(runDir);
  return s.uid === 0 ? undefined : { uid: s.uid, gid: s.gid };
}

/**
 * This host's credentials for serving migrations from DATA/tls (`tlsDir`): the cluster CA and a
 * server certificate from it valid for `serverName`, the host others reach this one under. The
 * listener's certificate normally is that one; one is issued when it is missing or does not
 * cover the name (a host serving its API with `--tls-cert`).
 */
export async function hostServerPem(tlsDir: string, serverName: string, log: Logger): Promise<TlsCredsPem> {
  const server = await ensureServerCertificate(tlsDir, withHost({ dns: [], ips: [] }, serverName), log);
  return { caCert: await readFile(join(tlsDir, 'ca.crt'), 'utf8'), serverCert: server.cert, serverKey: server.key };
}
