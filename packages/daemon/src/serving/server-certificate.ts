/**
 * herd's own TLS: on first start a herd CA (DATA/tls/ca.key, ca.crt) and a server certificate it
 * signs (server.key, server.crt). Clients pin the CA (`herd remote add` shows its fingerprint),
 * so the server certificate can be issued again, for new addresses or before it expires,
 * without clients noticing. openssl makes the keys and certificates; node:crypto checks them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { run } from '../host/exec.js';
import type { CertificateNames } from './certificate-names.js';

/** What an HTTPS server needs, and what users verify. */
export interface ServerTls {
  readonly key: string;
  /** The server certificate followed by the chain up to its CA, so clients can see and pin the CA. */
  readonly cert: string;
  /** SHA-256 fingerprint (AA:BB:...) of the certificate clients should trust: herd's CA, or the given certificate. */
  readonly fingerprint: string;
}

const caDays = 3650;
const serverDays = 825;
/** Issue the server certificate again when it has less than this left. */
const renewBeforeMs = 30 * 24 * 3600 * 1000;

/**
 * Makes sure `dir` holds herd's CA and a server certificate from it that is valid for `names`
 * for at least 30 more days, making or reissuing what is missing, and returns them. Idempotent:
 * later starts reuse both. The CA is never replaced (clients trust it); a CA that does not
 * match its key is an error to resolve by hand.
 */
export async function ensureServerCertificate(dir: string, names: CertificateNames, log: Logger): Promise<ServerTls> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const ca = await ensureCa(dir, log);
  const caCert = new X509Certificate(ca.cert);
  let server = await readPair(dir, 'server');
  if (!server || !serves(server, caCert, names)) {
    await issue(dir, 'server', serverConfig(names), ['-days', String(serverDays), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key')]);
    server = (await readPair(dir, 'server'))!;
    log.info({ dns: names.dns, ips: names.ips }, 'issued a TLS server certificate from the herd CA');
  }
  return { key: server.key, cert: server.cert + ca.cert, fingerprint: caCert.fingerprint256 };
}

/** A key and its certificate, in PEM. */
export interface Pair {
  readonly key: string;
  readonly cert: string;
}

/**
 * The herd CA in `dir` (ca.key, ca.crt), made when there is none; throws when the two do not
 * match. Call with `dir` existing; ensureServerCertificate calls it too.
 */
export async function ensureCa(dir: string, log: Logger): Promise<Pair> {
  const found = await readPair(dir, 'ca');
  if (found) {
    const cert = new X509Certificate(found.cert);
    if (!cert.checkPrivateKey(createPrivateKey(found.key)) || !cert.ca)
      throw new Error(`${join(dir, 'ca.crt')} is not a CA certificate for ${join(dir, 'ca.key')}; remove ${dir} to make a new herd CA (every client must then accept it again)`);
    return found;
  }
  await issue(dir, 'ca', caConfig(), ['-days', String(caDays)]);
  const made = (await readPair(dir, 'ca'))!;
  log.info({ fingerprint: new X509Certificate(made.cert).fingerprint256 }, 'made a new herd CA for TLS');
  return made;
}

/** Whether `server` is a certificate from `ca` for its key, valid for `names` for a while yet. */
function serves(server: Pair, ca: X509Certificate, names: CertificateNames): boolean {
  const cert = new X509Certificate(server.cert);
  return (
    cert.checkIssued(ca) &&
    cert.verify(ca.publicKey) &&
    cert.checkPrivateKey(createPrivateKey(server.key)) &&
    Date.parse(cert.validTo) - Date.now() > renewBeforeMs &&
    names.dns.every((n) => cert.checkHost(n, { wildcards: false }) !== undefined) &&
    names.ips.every((ip) => cert.checkIP(ip) !== undefined)
  );
}

/** Reads NAME.key and NAME.crt; undefined when the certificate is missing (a key alone is a half-made pair). */
async function readPair(dir: string, name: string): Promise<Pair | undefined> {
  const cert = await readFile(join(dir, `${name}.crt`), 'utf8').catch(() => undefined);
  if (cert === undefined) return undefined;
  return { key: await readFile(join(dir, `${name}.key`), 'utf8'), cert };
}

/**
 * Makes a key and a certificate with `openssl req -x509` (self-signed, or signed by `-CA`),
 * written beside their final names and renamed key first, certificate last, so a crash never
 * leaves a certificate without its key. The config goes through a file: openssl cannot open
 * /dev/stdin when stdin is the socket node gives child processes.
 */
async function issue(dir: string, name: string, config: string, extra: readonly string[]): Promise<void> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const cnf = join(dir, `${name}.cnf`);
  try {
    await writeFile(cnf, config, { mode: 0o600 });
    await run(
      'openssl',
      ['req', '-x509', '-config', cnf, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc', '-keyout', `${key}.new`, '-out', `${cert}.new`, ...extra],
      { timeoutMs: 30_000 },
    );
    await chmod(`${key}.new`, 0o600);
    await rename(`${key}.new`, key);
    await rename(`${cert}.new`, cert);
  } finally {
    await rm(cnf, { force: true });
    await rm(`${key}.new`, { force: true });
    await rm(`${cert}.new`, { force: true });
  }
}

function caConfig(): string {
  return [
    '[req]', 'distinguished_name = dn', 'x509_extensions = ext', 'prompt = no',
    '[dn]', 'O = herd', 'CN = herd CA',
    '[ext]', 'basicConstraints = critical, CA:TRUE, pathlen:0', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash',
  ].join('\n');
}

function serverConfig(names: CertificateNames): string {
  const san = [...names.dns.map((n) => `DNS:${n}`), ...names.ips.map((ip) => `IP:${ip}`)].join(', ');
  return [
    '[req]', 'distinguished_name = dn', 'x509_extensions = ext', 'prompt = no',
    '[dn]', 'O = herd', `CN = ${names.dns.find((n) => n !== 'localhost') ?? 'localhost'}`,
    '[ext]', 'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = serverAuth',
    `subjectAltName = ${san}`, 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid',
  ].join('\n');
}
