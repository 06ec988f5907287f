/**
 * The directory of files a `tls-creds-x509` object is made from (qmp-tls.ts), laid out under the
 * names QEMU looks for. QEMU runs as the VM's own user, under a seccomp sandbox, and cannot
 * read herd's own TLS files (DATA/tls, root's only): the PEMs are written for it into its run
 * directory, readable by that user alone, and removed as soon as QEMU has read them.
 */
import { constants } from 'node:fs';
import { chown, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunAs } from './launch-spec.js';

/** The PEMs of one set of credentials. */
export interface TlsCredsPem {
  /** The CA certificate peers' certificates are checked against. */
  readonly caCert: string;
  /** A server's certificate (optionally followed by its chain) and key; both or neither. */
  readonly serverCert?: string;
  readonly serverKey?: string;
}

/**
 * Writes `pem` into `dir` (a fresh directory, whatever was there removed) as ca-cert.pem,
 * server-cert.pem and server-key.pem, each 0600, the directory 0700, all `owner`'s when given
 * (a confining daemon: QEMU runs as the VM's user) and the daemon's otherwise. Call before
 * addTlsCreds, and {@link removeTlsCredsDir} once it has returned.
 */
export async function writeTlsCredsDir(dir: string, pem: TlsCredsPem, owner?: RunAs): Promise<void> {
  if ((pem.serverCert === undefined) !== (pem.serverKey === undefined)) throw new RangeError('a server certificate needs its key, and a key its certificate');
  await rm(dir, { recursive: true, force: true });
  // Not recursive: the run directory belongs to the VM's user, who must not have made this one.
  await mkdir(dir, { mode: 0o700 });
  const files: [string, string | undefined][] = [
    ['ca-cert.pem', pem.caCert],
    ['server-cert.pem', pem.serverCert],
    ['server-key.pem', pem.serverKey],
  ];
  for (const [name, content] of files) {
    if (content === undefined) continue;
    const file = await open(join(dir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await file.writeFile(content);
      if (owner) await file.chown(owner.uid, owner.gid);
    } finally {
      await file.close();
    }
  }
  // Last: until the directory is the VM user's, that user cannot change what is in it.
  if (owner) await chown(dir, owner.uid, owner.gid);
}

/** Removes a directory written by {@link writeTlsCredsDir}. Idempotent. */
export async function removeTlsCredsDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
