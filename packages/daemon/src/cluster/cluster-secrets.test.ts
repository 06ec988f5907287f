import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateNames, withHost } from '../serving/certificate-names.js';
import { ensureCa, ensureServerCertificate } from '../serving/server-certificate.js';
import { openDatabase, type Db } from '../store/open-database.js';
import { sharedPostgres, stopSharedPostgres } from '../store/testing/postgres.js';
import { ensureClusterSecrets, ensureForwardKey } from './cluster-secrets.js';
import { prepareClusterTls } from './cluster-tls.js';

const log = pino({ level: 'silent' });
let dir: string;
const open: Db[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'herd-secrets-'));
});
afterAll(async () => {
  for (const db of open.splice(0)) await db.destroy();
  await stopSharedPostgres();
  rmSync(dir, { recursive: true, force: true });
});

async function db(target: string): Promise<Db> {
  const handle = await openDatabase(target);
  open.push(handle);
  return handle;
}

describe('cluster secrets', () => {
  it('hosts starting together on PostgreSQL agree on one forward key and one CA pair', async () => {
    const url = await (await sharedPostgres()).createDatabase();
    const hosts = await Promise.all([1, 2, 3, 4].map(() => db(url)));
    const keys = await Promise.all(hosts.map((h) => ensureForwardKey(h)));
    expect(keys[0]!.length).toBe(32);
    for (const k of keys) expect(k.equals(keys[0]!)).toBe(true);
    const pairs = await Promise.all(hosts.map((h, i) => ensureClusterSecrets(h, ['ca.crt', 'ca.key'], async () => ({ 'ca.crt': `cert-${i}`, 'ca.key': `key-${i}` }))));
    const won = pairs[0]!;
    // Whoever won, the certificate and key come from the same host's offer.
    expect(won['ca.crt'].slice(5)).toBe(won['ca.key'].slice(4));
    for (const p of pairs) expect(p).toEqual(won);
  }, 120_000);

  it('a second start keeps the key it made', async () => {
    const h = await db(join(dir, 'single.db'));
    const first = await ensureForwardKey(h);
    expect((await ensureForwardKey(h)).equals(first)).toBe(true);
  });
});

describe('the cluster CA', () => {
  it('the first host offers its CA; the next adopts it and its server certificate is issued from it, for the advertised name', async () => {
    const shared = await db(join(dir, 'tls.db'));
    const dirA = join(dir, 'a-tls');
    const dirB = join(dir, 'b-tls');
    const a = await prepareClusterTls(shared, dirA, log);
    expect(readFileSync(join(dirA, 'ca.crt'), 'utf8')).toBe(a.cert);
    // B had a CA of its own, and a server certificate from it, from before it joined.
    mkdirSync(dirB, { recursive: true, mode: 0o700 });
    const ownB = await ensureCa(dirB, log);
    await ensureServerCertificate(dirB, certificateNames('127.0.0.1'), log);
    expect(ownB.cert).not.toBe(a.cert);

    const b = await prepareClusterTls(shared, dirB, log);
    expect(b).toEqual(a);
    expect(readFileSync(join(dirB, 'ca.crt'), 'utf8')).toBe(a.cert);
    expect(readFileSync(join(dirB, 'ca.key'), 'utf8')).toBe(readFileSync(join(dirA, 'ca.key'), 'utf8'));
    const tls = await ensureServerCertificate(dirB, withHost(certificateNames('0.0.0.0'), 'b.cluster.example'), log);
    const server = new X509Certificate(tls.cert);
    const ca = new X509Certificate(a.cert);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.checkHost('b.cluster.example')).toBe('b.cluster.example');
    expect(tls.fingerprint).toBe(a.fingerprint);
    // Idempotent.
    expect(await prepareClusterTls(shared, dirB, log)).toEqual(a);
  }, 60_000);
});

describe('certificate names', () => {
  it('adds an advertised name or address once', () => {
    const base = { dns: ['localhost'], ips: ['127.0.0.1'] };
    expect(withHost(base, '10.0.0.2')).toEqual({ dns: ['localhost'], ips: ['127.0.0.1', '10.0.0.2'] });
    expect(withHost(base, '[fd00::2]')).toEqual({ dns: ['localhost'], ips: ['127.0.0.1', 'fd00::2'] });
    expect(withHost(base, 'Node-B.example')).toEqual({ dns: ['localhost', 'node-b.example'], ips: ['127.0.0.1'] });
    expect(withHost(base, '127.0.0.1')).toBe(base);
    expect(withHost(base, 'bad name')).toBe(base);
  });
});
