import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateNames } from './certificate-names.js';
import { ensureServerCertificate } from './server-certificate.js';

const log = pino({ level: 'silent' });
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-tls-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' && { scopeid: 0 }) }) as never;

describe('certificateNames', () => {
  it('covers the host name, loopback and the listen address', () => {
    expect(certificateNames('10.1.2.3', {}, 'node1')).toEqual({ dns: ['localhost', 'node1'], ips: ['127.0.0.1', '::1', '10.1.2.3'] });
    expect(certificateNames('herd.example.org', {}, 'node1')).toEqual({ dns: ['localhost', 'node1', 'herd.example.org'], ips: ['127.0.0.1', '::1'] });
  });

  it("covers every interface's address for a wildcard, by family, without link-local ones", () => {
    const interfaces = { lo: [nic('127.0.0.1', 'IPv4', true)], eth0: [nic('192.0.2.7', 'IPv4'), nic('2001:db8::7', 'IPv6'), nic('fe80::1', 'IPv6')] };
    expect(certificateNames('0.0.0.0', interfaces, 'node1').ips).toEqual(['127.0.0.1', '::1', '192.0.2.7']);
    expect(certificateNames('::', interfaces, 'node1').ips).toEqual(['127.0.0.1', '::1', '192.0.2.7', '2001:db8::7']);
  });

  it('leaves out a host name that is no DNS name', () => {
    expect(certificateNames('::1', {}, 'bad name$').dns).toEqual(['localhost']);
  });
});

describe('ensureServerCertificate', () => {
  const names = { dns: ['localhost', 'node1'], ips: ['127.0.0.1', '::1', '192.0.2.7'] };

  it('makes a CA and a server certificate from it for the names, with the chain', async () => {
    const tls = await ensureServerCertificate(dir, names, log);
    const ca = new X509Certificate(await readFile(join(dir, 'ca.crt')));
    const server = new X509Certificate(tls.cert);
    expect(tls.fingerprint).toBe(ca.fingerprint256);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, DNS:node1, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192.0.2.7');
    expect(tls.cert.endsWith(await readFile(join(dir, 'ca.crt'), 'utf8'))).toBe(true);
  });

  it('reuses both when nothing changed, and issues the server certificate again, from the same CA, for new names', async () => {
    const first = await ensureServerCertificate(dir, names, log);
    expect(await ensureServerCertificate(dir, names, log)).toEqual(first);
    const moved = await ensureServerCertificate(dir, { ...names, ips: [...names.ips, '198.51.100.9'] }, log);
    expect(moved.fingerprint).toBe(first.fingerprint);
    expect(moved.key).not.toBe(first.key);
    expect(new X509Certificate(moved.cert).checkIP('198.51.100.9')).toBe('198.51.100.9');
  });

  it('refuses a CA certificate that does not match its key', async () => {
    await ensureServerCertificate(dir, names, log);
    await writeFile(join(dir, 'ca.key'), await readFile(join(dir, 'server.key')));
    await expect(ensureServerCertificate(dir, names, log)).rejects.toThrow(/is not a CA certificate for .*ca\.key; remove/);
  });
});
