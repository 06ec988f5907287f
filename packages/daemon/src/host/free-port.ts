/** A TCP port on this host that nothing listens on just now. */
import { createServer } from 'node:net';

/**
 * A port free on `host` at this moment, for a listener that must be told its port (QEMU's NBD
 * server cannot report one it picked itself). Another process may take it before it is used.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
