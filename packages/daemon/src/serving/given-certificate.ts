/** A TLS certificate and key the administrator gives (`--tls-cert`, `--tls-key`) instead of herd's own CA. */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ServerTls } from './server-certificate.js';

/**
 * Reads a PEM certificate (optionally followed by its chain) and its key, and checks that they
 * belong together; throws naming the file at fault. The fingerprint is the server certificate's.
 */
export async function loadGivenCertificate(certFile: string, keyFile: string): Promise<ServerTls> {
  const cert = await readFile(certFile, 'utf8').catch((e: Error) => fail(`cannot read --tls-cert ${certFile}: ${e.message}`));
  const key = await readFile(keyFile, 'utf8').catch((e: Error) => fail(`cannot read --tls-key ${keyFile}: ${e.message}`));
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (e) {
    return fail(`--tls-cert ${certFile} is not a PEM certificate: ${(e as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch (e) {
    return fail(`--tls-key ${keyFile} is not a PEM private key: ${(e as Error).message}`);
  }
  if (!matches) fail(`--tls-key ${keyFile} is not the key of the certificate in --tls-cert ${certFile}`);
  if (Date.parse(leaf.validTo) < Date.now()) fail(`--tls-cert ${certFile} expired on ${leaf.validTo}`);
  return { key, cert, fingerprint: leaf.fingerprint256 };
}

function fail(message: string): never {
  throw new Error(message);
}
