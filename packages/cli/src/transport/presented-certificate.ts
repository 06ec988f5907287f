/**
 * What an HTTPS daemon presents, read without trusting it, so that `herd remote add` can show
 * its fingerprint and pin it once the user has compared it with the one the daemon logged.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type DetailedPeerCertificate } from 'node:tls';

/** A certificate a daemon presented. */
export interface PresentedCertificate {
  /** PEM of the certificate to pin: the top of the chain the daemon sent (herd's CA, when it is herd's own). */
  readonly pem: string;
  /** Its SHA-256 fingerprint (AA:BB:...), as the daemon logs it at start (`tlsFingerprint`). */
  readonly fingerprint: string;
  /** Its subject, for people (`CN=herd CA`). */
  readonly subject: string;
  /** Whether this machine's CAs already trust the daemon's certificate for this host name. */
  readonly trusted: boolean;
}

/** Connects to the https `url`, reads the certificate chain and disconnects. */
export function fetchPresentedCertificate(url: string, timeoutMs = 10_000): Promise<PresentedCertificate> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(parsed.port || 443), ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false, timeout: timeoutMs });
    socket.once('timeout', () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs / 1000} s`)));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const leaf = socket.getPeerCertificate(true);
      const trusted = socket.authorized && checkServerIdentity(host, leaf) === undefined;
      socket.end();
      if (!leaf.raw) return reject(new Error('the daemon presented no certificate'));
      const top = new X509Certificate(topOf(leaf).raw);
      resolve({ pem: top.toString(), fingerprint: top.fingerprint256, subject: top.subject.replace(/\n/g, ', '), trusted });
    });
  });
}

/** The last certificate of the chain: a self-signed one points at itself as its issuer. */
function topOf(leaf: DetailedPeerCertificate): DetailedPeerCertificate {
  let c = leaf;
  while (c.issuerCertificate && c.issuerCertificate !== c && c.issuerCertificate.fingerprint256 !== c.fingerprint256) c = c.issuerCertificate;
  return c;
}
