/** A CA and a server certificate from it (for 127.0.0.1 and localhost), made with openssl for HTTPS tests. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM texts of a test CA and a server certificate it signed. */
export interface TestCertificates {
  readonly caCert: string;
  readonly key: string;
  /** The server certificate followed by the CA, as herd serves it. */
  readonly cert: string;
}

/** Makes a fresh CA and server certificate (a few ms with EC keys). */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'herd-cli-tls-'));
  try {
    const conf = (name: string, lines: string[]) => {
      writeFileSync(join(dir, name), ['[req]', 'distinguished_name = dn', 'x509_extensions = ext', 'prompt = no', ...lines].join('\n'));
      return join(dir, name);
    };
    const req = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc', '-days', '2'];
    execFileSync('openssl', [...req, '-config', conf('ca.cnf', ['[dn]', 'CN = test CA', '[ext]', 'basicConstraints = critical, CA:TRUE']), '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt')], { stdio: 'pipe' });
    execFileSync(
      'openssl',
      [...req, '-config', conf('s.cnf', ['[dn]', 'CN = localhost', '[ext]', 'basicConstraints = CA:FALSE', 'subjectAltName = DNS:localhost, IP:127.0.0.1']), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-keyout', join(dir, 's.key'), '-out', join(dir, 's.crt')],
      { stdio: 'pipe' },
    );
    const caCert = readFileSync(join(dir, 'ca.crt'), 'utf8');
    return { caCert, key: readFileSync(join(dir, 's.key'), 'utf8'), cert: readFileSync(join(dir, 's.crt'), 'utf8') + caCert };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
