/**
 * TLS for live migration between real QEMUs on this host (the tiny guest, TCG): credentials made
 * from a throwaway herd CA and a server certificate for 127.0.0.1, a host name the certificate
 * does not cover refused by both streams, and a guest moved with its local disk mirrored, RAM
 * and disk both over TLS, through proxies that record what crosses the wire. The tests share one
 * guest and run in order.
 */
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropMigrationTls, ensureMigrationTls, hostServerPem, migrationTlsDir } from '../cluster/migration-tls.js';
import { createVolumeFile, imageInfo } from '../storage/qemu-img.js';
import { qomChildren } from './qmp-device.js';
import { awaitIncoming, listenIncoming, migrate, MigrationFailedError, setMigrationOptions, tcpUri } from './qmp-migrate.js';
import { DiskMirrorError, diskExport, finishMirrors, mirrorToNbd, nbdServe, nbdStop } from './qmp-nbd-mirror.js';
import { topNode } from './qmp-nodes.js';
import { addTlsCreds, removeTlsCreds, TlsCredsError } from './qmp-tls.js';
import type { TinyVm } from './testing/tiny-vm.js';
import { TinyVmFixture } from './testing/tiny-vm.js';
import { RecordingProxy } from './testing/recording-proxy.js';
import { removeTlsCredsDir, writeTlsCredsDir } from './tls-creds-dir.js';
import type { TlsCredsPem } from './tls-creds-dir.js';
import { freePort } from '../host/free-port.js';

const LOOPBACK = '127.0.0.1';
/** Written into the guest's disk (and so its page cache): it must arrive, but never be readable on the wire. */
const CANARY = 'HERD-TLS-CANARY-3b7e91';
/** The start of a TLS handshake record (content type 22, version 3.x). */
const TLS_HANDSHAKE = Buffer.from([0x16, 0x03]);
/** What a plain migration stream starts with (QEMU_VM_FILE_MAGIC). */
const QEVM = Buffer.from('QEVM');

let fx: TinyVmFixture;
let vm: TinyVm;
let disk: string;
/** The server side's credentials (CA, certificate for 127.0.0.1, key) and the client's (CA only). */
let serverPem: TlsCredsPem;
let clientPem: TlsCredsPem;

beforeAll(async () => {
  fx = await TinyVmFixture.create('herd-tls-');
  disk = await fx.newDisk('src.qcow2');
  vm = await fx.launch('vm0', disk);
  serverPem = await hostServerPem(join(fx.root, 'tls'), LOOPBACK, pino({ level: 'silent' }));
  clientPem = { caCert: serverPem.caCert };
  await vm.ready();
});

afterAll(async () => {
  await fx?.cleanup();
});

/** An empty qcow2 of the source disk's virtual size, as a destination with local disks gets. */
async function emptyImageLike(name: string): Promise<string> {
  const path = join(fx.root, name);
  await createVolumeFile(path, 'qcow2', (await imageInfo(disk))['virtual-size']);
  return path;
}

/**
 * A destination as migration-target.ts makes one with TLS: server credentials, the migration
 * stream and an NBD server for disk `root` both needing TLS, listening on 127.0.0.1.
 */
async function tlsDestination(name: string, image: string): Promise<{ dst: TinyVm; incoming: { host: string; port: number }; nbdPort: number }> {
  const dst = await fx.launch(name, image, { incoming: true });
  const tlsCreds = await ensureMigrationTls(dst.qmp, join(fx.root, name), 'server', serverPem);
  expect(existsSync(migrationTlsDir(join(fx.root, name)))).toBe(false);
  await setMigrationOptions(dst.qmp, { tlsCreds });
  const nbdPort = await freePort();
  await nbdServe(dst.qmp, { host: LOOPBACK, port: nbdPort }, [diskExport('root')], { tlsCreds });
  const [incoming] = await listenIncoming(dst.qmp, `tcp:${LOOPBACK}:0`);
  return { dst, incoming: incoming!, nbdPort };
}

describe('TLS for live migration (in order)', () => {
  it('credentials: written for QEMU’s user alone, added once, refused with QEMU’s reason, removed', async () => {
    const dir = join(fx.root, 'vm0', 'creds');
    // Root hands the files to the VM's user; another daemon keeps them as its own.
    const owner = process.getuid?.() === 0 ? { uid: 4242, gid: 4243 } : undefined;
    await writeTlsCredsDir(dir, serverPem, owner);
    const d = await stat(dir);
    const key = await stat(join(dir, 'server-key.pem'));
    expect([d.mode & 0o777, key.mode & 0o777]).toEqual([0o700, 0o600]);
    if (owner) expect([d.uid, d.gid, key.uid, key.gid]).toEqual([4242, 4243, 4242, 4243]);
    expect(await readFile(join(dir, 'ca-cert.pem'), 'utf8')).toBe(serverPem.caCert);

    await addTlsCreds(vm.qmp, { id: 't-srv', dir, endpoint: 'server', verifyPeer: false });
    await removeTlsCredsDir(dir);
    // Already there: kept, though its files are gone (QEMU read them when it was made).
    await addTlsCreds(vm.qmp, { id: 't-srv', dir, endpoint: 'server', verifyPeer: false });
    await expect(addTlsCreds(vm.qmp, { id: 't-srv', dir, endpoint: 'client', verifyPeer: true })).rejects.toThrow(/taken by credentials for the server endpoint/);
    const missing = await addTlsCreds(vm.qmp, { id: 't-cli', dir, endpoint: 'client', verifyPeer: true }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TlsCredsError);
    expect((missing as Error).message).toMatch(/^TLS credentials t-cli cannot be set up in QEMU: Unable to access credentials .*ca-cert\.pem: No such file or directory$/);
    await removeTlsCreds(vm.qmp, 't-srv');
    await removeTlsCreds(vm.qmp, 't-srv');
    expect((await qomChildren(vm.qmp, '/objects')).has('t-srv')).toBe(false);
  });

  it('a host name the certificate does not cover: mirror and migration refused, the source runs on', async () => {
    const { dst, incoming, nbdPort } = await tlsDestination('vm1', await emptyImageLike('refused.qcow2'));
    const runDir = join(fx.root, 'vm0');
    const tlsCreds = await ensureMigrationTls(vm.qmp, runDir, 'client', clientPem);
    const mirror = { node: await topNode(vm.qmp, 'root'), host: LOOPBACK, port: nbdPort, exportName: 'root', jobId: 'mig-root' };

    // The NBD server insists on TLS, and the client on the right name.
    await expect(mirrorToNbd(vm.qmp, mirror)).rejects.toThrow(/TLS negotiation required/);
    const wrong = await mirrorToNbd(vm.qmp, { ...mirror, tlsCreds, tlsHostname: 'wrong.example' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(DiskMirrorError);
    expect((wrong as Error).message).toMatch(/Certificate does not match the hostname wrong\.example$/);

    await setMigrationOptions(vm.qmp, { tlsCreds, tlsHostname: 'wrong.example' });
    const failed = await migrate(vm.qmp, tcpUri(incoming)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MigrationFailedError);
    console.log(`wrong tls-hostname: ${(failed as Error).message}`);
    expect((failed as Error).message).toMatch(/^live migration failed: .*Certificate does not match the hostname wrong\.example.*; the VM runs on, on the source$/);
    expect((await vm.qmp.queryStatus()).status).toBe('running');
    expect(await vm.console.run('echo still here')).toBe('still here\n');
    await dropMigrationTls(vm.qmp, runDir);
    expect((await qomChildren(vm.qmp, '/objects')).has('herd-mig-tls')).toBe(false);
    await dst.kill();
  });

  it('RAM and a local disk over TLS: the wire carries TLS records only, and the guest runs on at the destination', async () => {
    const written = await vm.console.run(`yes ${CANARY} | head -c 1048576 > /data/canary; sync; md5sum /data/canary`);
    const dstDisk = await emptyImageLike('tls.qcow2');
    const { dst, incoming, nbdPort } = await tlsDestination('vm2', dstDisk);
    const watch = Buffer.from(CANARY);
    const migProxy = await RecordingProxy.start(incoming, watch);
    const nbdProxy = await RecordingProxy.start({ host: LOOPBACK, port: nbdPort }, watch);
    try {
      const runDir = join(fx.root, 'vm0');
      const tls = { tlsCreds: await ensureMigrationTls(vm.qmp, runDir, 'client', clientPem), tlsHostname: LOOPBACK };
      await mirrorToNbd(vm.qmp, { node: await topNode(vm.qmp, 'root'), host: LOOPBACK, port: nbdProxy.port, exportName: 'root', jobId: 'mig-root', ...tls });
      await setMigrationOptions(vm.qmp, tls);
      const result = await migrate(vm.qmp, tcpUri({ host: LOOPBACK, port: migProxy.port }));
      console.log(`pre-copy over TLS, 64 MiB local disk mirrored over TLS, 128 MiB guest: ${JSON.stringify(result)}`);
      await finishMirrors(vm.qmp, ['mig-root']);
      await dropMigrationTls(vm.qmp, runDir);
      await nbdStop(dst.qmp);
      await awaitIncoming(dst.qmp);
      await dropMigrationTls(dst.qmp, join(fx.root, 'vm2'));
      await dst.qmp.cont();

      const show = (c: { head: Buffer; bytes: number; sawWatched: boolean }): string => `${c.head.subarray(0, 24).toString('hex')}… (${c.bytes} bytes, canary seen: ${c.sawWatched})`;
      console.log(`migration stream, source to destination: ${migProxy.connections.map(show).join('; ')}`);
      console.log(`NBD stream, source to destination: ${nbdProxy.connections.map(show).join('; ')}`);
      expect(migProxy.connections).toHaveLength(1);
      const mig = migProxy.connections[0]!;
      expect(mig.head.subarray(0, 2)).toEqual(TLS_HANDSHAKE);
      expect(mig.head.includes(QEVM)).toBe(false);
      expect(mig.bytes).toBeGreaterThan(result.transferredBytes);
      // NBD negotiates in the clear up to STARTTLS: client flags, then option 5 (NBD_OPT_STARTTLS)
      // with no data; everything after it is TLS.
      expect(nbdProxy.connections.length).toBeGreaterThanOrEqual(1);
      for (const c of nbdProxy.connections) {
        expect(c.head.subarray(4, 12).toString('latin1')).toBe('IHAVEOPT');
        expect(c.head.readUInt32BE(12)).toBe(5);
        expect(c.head.readUInt32BE(16)).toBe(0);
        expect(c.head.subarray(20, 22)).toEqual(TLS_HANDSHAKE);
      }
      expect(nbdProxy.connections.reduce((n, c) => n + c.bytes, 0)).toBeGreaterThan(1024 * 1024);
      expect([mig, ...nbdProxy.connections].some((c) => c.sawWatched)).toBe(false);
      // ... yet it arrived: the destination's image holds it.
      expect((await readFile(dstDisk)).includes(watch)).toBe(true);
    } finally {
      await migProxy.close();
      await nbdProxy.close();
    }
    await vm.quit();
    vm = dst;
    expect(await vm.console.run('echo 3 > /proc/sys/vm/drop_caches; md5sum /data/canary')).toBe(written);
    expect((await vm.qmp.queryStatus()).status).toBe('running');
    expect((await qomChildren(vm.qmp, '/objects')).has('herd-mig-tls')).toBe(false);
  });
});
