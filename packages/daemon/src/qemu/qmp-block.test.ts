/**
 * Disk hotplug against a real QEMU running the tiny guest (TCG): what QMP reports is checked
 * against what the guest kernel sees, read through the serial console. One VM serves every
 * test, in order: it boots with a LUKS-encrypted disk, which is unplugged so that the disk
 * hot-plugged next is the guest's vdb again.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { processState } from '../host/proc.js';
import { buildTinyImage } from '../images/tiny/build-tiny-image.js';
import { GUEST_READY_LINE } from '../images/tiny/guest-init-script.js';
import { launchQemu } from './launch.js';
import type { DiskSpec, LaunchSpec } from './launch-spec.js';
import { consoleSocketPath, qmpSocketPath } from './launch-spec.js';
import { QmpClient } from './qmp-client.js';
import { DiskOperationError, DiskReleaseTimeoutError, hotplugDisk, listDisks, resizeDisk, unplugDisk } from './qmp-block.js';

const MiB = 1024 * 1024;
const RELEASE_TIMEOUT_MS = 20_000;

/** The guest's serial console through QEMU's console socket. */
class SerialConsole {
  readonly #socket: Socket;
  #output = '';
  #cursor = 0;
  #wake: (() => void) | undefined;

  constructor(path: string) {
    this.#socket = createConnection({ path });
    this.#socket.setEncoding('utf8');
    this.#socket.on('data', (chunk: string) => {
      this.#output += chunk;
      this.#wake?.();
    });
  }

  /** Waits until `pattern` appears after the previous match, moves past it and returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    const re = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
    for (;;) {
      re.lastIndex = this.#cursor;
      const m = re.exec(this.#output);
      if (m) {
        this.#cursor = m.index + m[0].length;
        return m;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; console:\n${this.#output.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * Runs `command` in the guest shell and returns the value it prints as `TAG=value`. The shell
   * echoes what is typed, so the command must compute the value (`$(...)`) rather than spell it.
   */
  async query(tag: string, command: string, timeoutMs?: number): Promise<string> {
    this.#socket.write(`${command}\n`);
    // Up to the newline: output arrives in arbitrary pieces, and `$` would match a partial line.
    const m = await this.waitFor(new RegExp(`^${tag}=(.*?)\\r?\\n`, 'm'), timeoutMs);
    return m[1]!;
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** A unix socket in front of QEMU's QMP socket that records everything sent either way. */
function qmpRecorder(listenPath: string, qemuPath: string, traffic: string[]): Promise<Server> {
  const server = createServer((client) => {
    const qemu = createConnection({ path: qemuPath });
    client.on('data', (b: Buffer) => (traffic.push(`> ${b.toString()}`), qemu.write(b)));
    qemu.on('data', (b: Buffer) => (traffic.push(`< ${b.toString()}`), client.write(b)));
    client.on('close', () => qemu.destroy());
    qemu.on('close', () => client.destroy());
    client.on('error', () => undefined);
    qemu.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(listenPath, () => resolve(server)));
}

/** `qemu-img create` of a 64 MiB LUKS qcow2 whose first sector is filled with 'Z'. */
async function createLuksImage(path: string, keyFile: string): Promise<void> {
  const secret = `secret,id=sec0,file=${keyFile}`;
  // A low iter-time keeps each open (PBKDF2 on QEMU's main loop) at ~0.1 s instead of 2 s.
  const args = ['create', '-q', '-f', 'qcow2', '--object', secret, '-o', 'encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=100', path, '64M'];
  for (let attempt = 1; ; attempt++) {
    const r = await run('qemu-img', args, { allowFailure: true });
    if (r.code === 0) break;
    // QEMU 7.2 calibrates PBKDF2 with getrusage(); when a round measures 0 ms it gives up with
    // "Unable to get accurate CPU usage". A second try measures again.
    if (attempt === 5 || !r.stderr.includes('Unable to get accurate CPU usage')) throw new Error(`qemu-img create failed: ${r.stderr}`);
  }
  const image = `driver=qcow2,file.filename=${path},encrypt.format=luks,encrypt.key-secret=sec0`;
  await run('qemu-io', ['--object', secret, '--image-opts', image, '-c', 'write -P 0x5a 0 512']);
}

describe('disk hotplug over QMP (tiny guest, TCG)', () => {
  const work = mkdtempSync(join(tmpdir(), 'herd-qb-'));
  const passphrase = randomBytes(24).toString('hex');
  const keyFile = join(work, 'luks.key');
  const wrongKeyFile = join(work, 'wrong.key');
  const sealedImage = join(work, 'sealed.qcow2');
  const traffic: string[] = [];
  let pid: number | undefined;
  let qmp: QmpClient;
  let guest: SerialConsole;
  let recorder: Server;

  const namedNodes = async (): Promise<string[]> =>
    (await qmp.execute('query-named-block-nodes', { flat: true }, Type.Array(Type.Object({ 'node-name': Type.String() })))).map(
      (n) => n['node-name'],
    );
  const objectIds = async (): Promise<string[]> =>
    (await qmp.execute('qom-list', { path: '/objects' }, Type.Array(Type.Object({ name: Type.String() })))).map((p) => p.name);
  // Waits in the guest (up to 10 s) for /sys/block/vdb to come or go, then reports its size.
  const vdbSize = (until: 'present' | 'absent'): Promise<string> =>
    guest.query(
      'vdb',
      `i=0; while [ ${until === 'present' ? '!' : ''} -e /sys/block/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; ` +
        'echo vdb=$(cat /sys/block/vdb/size 2>/dev/null || echo absent)',
    );
  const firstBytesOfVdb = (): Promise<string> => guest.query('head', 'echo head=$(dd if=/dev/vdb bs=4 count=1 2>/dev/null)');

  beforeAll(async () => {
    writeFileSync(keyFile, passphrase, { mode: 0o600 });
    writeFileSync(wrongKeyFile, 'not-the-passphrase', { mode: 0o600 });
    const [image] = await Promise.all([buildTinyImage(join(work, 'image')), createLuksImage(sealedImage, keyFile)]);
    const rootOverlay = join(work, 'root.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'qcow2', rootOverlay]);
    const spec: LaunchSpec = {
      uuid: '00000000-0000-4000-8000-00000000b10c',
      name: 'qmp-block-test',
      accel: 'tcg',
      cpus: 1,
      memoryMiB: 128,
      runDir: join(work, 'run'),
      consoleLog: join(work, 'console.log'),
      boot: { kind: 'kernel', kernel: image.kernel, initrd: image.initrd, cmdline: `${image.cmdline} no_timer_check` },
      disks: [
        { id: 'root', path: rootOverlay, format: 'qcow2' },
        { id: 'sealed', path: sealedImage, format: 'qcow2', secretFile: keyFile, serial: 'herd-sealed' },
      ],
      startPaused: false,
    };
    ({ pid } = await launchQemu(spec));
    guest = new SerialConsole(consoleSocketPath(spec.runDir));
    recorder = await qmpRecorder(join(work, 'qmp-tap.sock'), qmpSocketPath(spec.runDir), traffic);
    qmp = await QmpClient.connect(join(work, 'qmp-tap.sock'));
    await guest.waitFor(new RegExp(`^${GUEST_READY_LINE}\\r?$`, 'm'), 60_000);
    await guest.waitFor(/# /);
  }, 90_000);

  afterAll(async () => {
    qmp?.close();
    guest?.close();
    if (pid !== undefined && processState(pid) === 'alive') process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => (recorder ? recorder.close(resolve) : resolve(undefined)));
    rmSync(work, { recursive: true, force: true });
  });

  it('boots with a LUKS disk opened from a secret file: the guest reads its plaintext', async () => {
    expect(await listDisks(qmp)).toEqual(['root', 'sealed']);
    expect(await guest.query('serial', 'echo serial=$(cat /sys/block/vdb/serial)')).toBe('herd-sealed');
    expect(await firstBytesOfVdb()).toBe('ZZZZ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(cmdline).toContain(`secret,id=sealed-key,file=${keyFile},format=raw`);
    expect(cmdline).not.toContain(passphrase);
  });

  it('unplugs a disk the VM started with, with its nodes and secret; repeating is a no-op', async () => {
    await unplugDisk(qmp, 'sealed', { timeoutMs: RELEASE_TIMEOUT_MS });
    expect(await vdbSize('absent')).toBe('absent');
    expect(await listDisks(qmp)).toEqual(['root']);
    expect((await namedNodes()).filter((n) => n.startsWith('sealed-'))).toEqual([]);
    expect(await objectIds()).not.toContain('sealed-key');
    await unplugDisk(qmp, 'sealed', { timeoutMs: RELEASE_TIMEOUT_MS });
  });

  it('hot-plugs a qcow2 the guest sees as vdb with its serial; repeating is a no-op', async () => {
    const path = join(work, 'hot.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', path, '64M']);
    const disk: DiskSpec = { id: 'hot', path, format: 'qcow2', serial: 'herd-hot' };
    await hotplugDisk(qmp, disk);
    await hotplugDisk(qmp, disk);
    expect(await listDisks(qmp)).toEqual(['root', 'hot']);
    expect(await vdbSize('present')).toBe(String((64 * MiB) / 512));
    expect(await guest.query('serial', 'echo serial=$(cat /sys/block/vdb/serial)')).toBe('herd-hot');
  });

  it('grows the disk under the running guest, and refuses to shrink it', async () => {
    await resizeDisk(qmp, 'hot', 96 * MiB);
    await resizeDisk(qmp, 'hot', 96 * MiB);
    // The guest learns the size from a virtio config interrupt; give it a moment.
    const size = await guest.query(
      'size',
      `i=0; while [ $(cat /sys/block/vdb/size) != ${(96 * MiB) / 512} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; echo size=$(cat /sys/block/vdb/size)`,
    );
    expect(size).toBe(String((96 * MiB) / 512));
    await expect(resizeDisk(qmp, 'hot', 32 * MiB)).rejects.toThrow(/cannot resize disk 'hot': .*shrinking/);
    await expect(resizeDisk(qmp, 'nope', 32 * MiB)).rejects.toThrow(/cannot resize disk 'nope': no block node 'nope-fmt'/);
  });

  it('gives up on a guest that does not release the disk, leaves it attached, and completes on a later call', async () => {
    // A paused guest cannot answer the ACPI eject request, as one without hotplug support would not.
    await qmp.stop();
    const started = Date.now();
    const err = await unplugDisk(qmp, 'hot', { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskReleaseTimeoutError);
    expect((err as Error).message).toMatch(/did not release disk 'hot' within 1000 ms: it may lack ACPI PCI hotplug support/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await listDisks(qmp)).toEqual(['root', 'hot']);
    expect(await namedNodes()).toEqual(expect.arrayContaining(['hot-fmt', 'hot-file']));

    await qmp.cont();
    await unplugDisk(qmp, 'hot', { timeoutMs: RELEASE_TIMEOUT_MS });
    expect(await listDisks(qmp)).toEqual(['root']);
    expect((await namedNodes()).filter((n) => n.startsWith('hot-'))).toEqual([]);
    expect(await vdbSize('absent')).toBe('absent');
  });

  it('hot-plugs a LUKS qcow2 by secret file; the passphrase crosses neither QMP nor a command line', async () => {
    await hotplugDisk(qmp, { id: 'vault', path: sealedImage, format: 'qcow2', secretFile: keyFile });
    expect(await vdbSize('present')).toBe(String((64 * MiB) / 512));
    expect(await firstBytesOfVdb()).toBe('ZZZZ');
    await unplugDisk(qmp, 'vault', { timeoutMs: RELEASE_TIMEOUT_MS });
    expect(await objectIds()).not.toContain('vault-key');

    const wire = traffic.join('');
    expect(wire).toContain('"qom-type":"secret"');
    expect(wire).toContain(keyFile);
    expect(wire).not.toContain(passphrase);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(passphrase);
  });

  it('undoes a failed attach and names the disk and QEMU’s reason', async () => {
    const wrongKey = hotplugDisk(qmp, { id: 'bad', path: sealedImage, format: 'qcow2', secretFile: wrongKeyFile });
    await expect(wrongKey).rejects.toThrow(DiskOperationError);
    await expect(wrongKey).rejects.toThrow(/^cannot attach disk 'bad': .*Invalid password/);
    const missing = join(work, 'missing.qcow2');
    await expect(hotplugDisk(qmp, { id: 'gone', path: missing, format: 'qcow2' })).rejects.toThrow(
      `cannot attach disk 'gone': Could not open '${missing}': No such file or directory`,
    );
    expect((await namedNodes()).filter((n) => /^(bad|gone)-/.test(n))).toEqual([]);
    expect(await objectIds()).not.toContain('bad-key');
    expect(await listDisks(qmp)).toEqual(['root']);
  });
});
