/**
 * One CA for the whole cluster: hosts call each other over HTTPS and trust exactly that CA, and
 * clients that pinned it (`herd remote add`) reach any host. The CA lives in the shared
 * database (`cluster_secrets` rows `ca.crt`, `ca.key`); each host copies it into DATA/tls,
 * where serving/server-certificate.ts issues the host's own server certificate from it. The
 * first host to start offers its CA (its existing one, so that its clients keep working);
 * later hosts adopt the cluster's, and their server certificate is issued again from it.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ensureCa } from '../serving/server-certificate.js';
import type { Db } from '../store/open-database.js';
import { clusterSecretNames, ensureClusterSecrets } from './cluster-secrets.js';

/** The cluster's CA, as hosts trust it. */
export interface ClusterCa {
  /** The CA certificate (PEM): what host-to-host HTTPS trusts. */
  readonly cert: string;
  /** SHA-256 fingerprint of the CA certificate (AA:BB:...), what clients pin. */
  readonly fingerprint: string;
}

/**
 * Makes `tlsDir` (DATA/tls) hold the cluster's CA, offering this host's own (made if need be)
 * when the cluster has none yet. Call once at start in cluster mode, before the listeners
 * start, so that the server certificate they issue comes from the cluster's CA. Idempotent.
 */
export async function prepareClusterTls(db: Db, tlsDir: string, log: Logger): Promise<ClusterCa> {
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  await chmod(tlsDir, 0o700);
  const { caCert, caKey } = clusterSecretNames;
  const held = await ensureClusterSecrets(db, [caCert, caKey], async () => {
    const own = await ensureCa(tlsDir, log);
    log.info({ fingerprint: new X509Certificate(own.cert).fingerprint256 }, "offered this host's herd CA to the cluster");
    return { [caCert]: own.cert, [caKey]: own.key };
  });
  const cert = new X509Certificate(held[caCert]);
  if (!cert.ca || !cert.checkPrivateKey(createPrivateKey(held[caKey])))
    throw new Error(`the cluster's CA (cluster_secrets ${caCert}, ${caKey}) is not a CA certificate with its key; fix or remove both rows, then start every host again`);
  const local = await readFile(join(tlsDir, 'ca.crt'), 'utf8').catch(() => undefined);
  if (local !== held[caCert]) {
    await replace(join(tlsDir, 'ca.key'), held[caKey], 0o600);
    await replace(join(tlsDir, 'ca.crt'), held[caCert], 0o644);
    if (local !== undefined) log.warn({ fingerprint: cert.fingerprint256 }, "this host's herd CA was replaced by the cluster's; clients that pinned the old one must accept the new one");
    else log.info({ fingerprint: cert.fingerprint256 }, "adopted the cluster's herd CA");
  }
  return { cert: held[caCert], fingerprint: cert.fingerprint256 };
}

// Key first, certificate last (as server-certificate.ts writes them), each by rename, so that a
// crash never leaves a certificate beside a key it does not match for long: the next start
// rewrites both.
async function replace(path: string, content: string, mode: number): Promise<void> {
  await writeFile(`${path}.new`, content, { mode });
  await rename(`${path}.new`, path);
}
