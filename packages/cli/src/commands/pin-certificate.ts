/**
 * Deciding to trust an HTTPS daemon's certificate when adding it as a remote: show its
 * fingerprint, let the user compare it with the one the daemon logged, and pin it once
 * accepted. A certificate this machine already trusts needs no pin.
 */
import { ConnectionError } from '@herd/api';
import { clientFor } from '../context.js';
import { UsageError } from '../errors.js';
import { canAsk, confirm } from '../terminal/ask.js';
import { fetchPresentedCertificate } from '../transport/presented-certificate.js';

/**
 * Returns the PEM to pin for the https `url`, or undefined when the system's CAs trust it.
 * Asks at the terminal unless `accepted`; without a terminal, refuses unless `accepted`. Checks
 * that the pinned certificate then works for this host name.
 */
export async function pinCertificate(url: string, accepted: boolean, note: (text: string) => void): Promise<string | undefined> {
  const presented = await fetchPresentedCertificate(url).catch((e: unknown) => {
    throw new ConnectionError(url, e);
  });
  if (presented.trusted) return undefined;
  note(
    [
      `the daemon at ${url} presents a certificate this machine does not trust:`,
      `  subject:             ${presented.subject}`,
      `  SHA-256 fingerprint: ${presented.fingerprint}`,
      'compare it with the tlsFingerprint the daemon logs when it starts ("herd is serving").',
    ].join('\n'),
  );
  if (!accepted) {
    if (!canAsk())
      throw new UsageError(`not trusting the certificate of ${url} unasked: stdin is not a terminal; check the fingerprint above and pass --accept-certificate`);
    if (!(await confirm('trust this certificate for this remote?'))) throw new UsageError('the certificate was not accepted; the remote was not added');
  }
  await clientFor({ url, ca: presented.pem }).call('getHealth');
  return presented.pem;
}
