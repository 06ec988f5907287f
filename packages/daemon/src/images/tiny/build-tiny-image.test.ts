/**
 * Builds the tiny image and boots it in real QEMU (TCG: this host has no usable KVM) to prove
 * the guest's contract: the ready line, a shell on ttyS0 that respawns, /data persisting
 * through the qcow2 overlay, clean power-off from the shell and from the ACPI power button
 * (QMP system_powerdown), and DHCP on a user-mode NIC.
 *
 * QEMU is spawned directly here (tests may use child_process; the daemon may not).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../host/exec.js';
import { buildTinyImage, type TinyImageFiles } from './build-tiny-image.js';
import { GUEST_READY_LINE } from './guest-init-script.js';

const BOOT_TIMEOUT_MS = 60_000;

/** A QEMU process booted from the tiny image, with its serial console on stdio. */
class SerialGuest {
  readonly #qemu: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly startedAt = Date.now();
  #output = '';
  #cursor = 0;
  #waiters = new Set<() => void>();

  constructor(args: readonly string[]) {
    this.#qemu = spawn('qemu-system-x86_64', [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.#qemu.on('exit', (code) => resolve(code)));
    const collect = (b: Buffer): void => {
      this.#output += b.toString();
      for (const wake of this.#waiters) wake();
    };
    this.#qemu.stdout.on('data', collect);
    this.#qemu.stderr.on('data', collect);
    this.#qemu.stdin.on('error', () => undefined);
    running.add(this);
  }

  /**
   * Waits until `pattern` appears in console output after the previous match, and moves past
   * it. Fails with the console transcript on timeout or if QEMU exits first.
   */
  async waitFor(pattern: RegExp, timeoutMs = BOOT_TIMEOUT_MS): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
      for (const wake of this.#waiters) wake();
    });
    for (;;) {
      const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
      re.lastIndex = this.#cursor;
      const m = re.exec(this.#output);
      if (m) {
        this.#cursor = m.index + m[0].length;
        return m;
      }
      const left = deadline - Date.now();
      if (exited || left <= 0) {
        throw new Error(`${exited ? 'QEMU exited' : 'timed out'} waiting for ${pattern}; console:\n${this.#output}`);
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  /** Like {@link waitFor}, but returns all output from the previous match up to this one. */
  async readUntil(pattern: RegExp, timeoutMs = BOOT_TIMEOUT_MS): Promise<string> {
    const from = this.#cursor;
    await this.waitFor(pattern, timeoutMs);
    return this.#output.slice(from, this.#cursor);
  }

  /** Waits for the ready line and the first shell prompt; returns ms since QEMU was started. */
  async waitUntilReady(): Promise<number> {
    await this.waitFor(new RegExp(`^${GUEST_READY_LINE}\\r?$`, 'm'));
    const ms = Date.now() - this.startedAt;
    await this.waitFor(/# /);
    return ms;
  }

  /** Types one line into the serial console. */
  type(line: string): void {
    this.#qemu.stdin.write(`${line}\n`);
  }

  /** Kills QEMU (if still running) and waits for it to go. */
  async kill(): Promise<void> {
    if (this.#qemu.exitCode === null && this.#qemu.signalCode === null) this.#qemu.kill('SIGKILL');
    await this.exited;
    running.delete(this);
  }
}

const running = new Set<SerialGuest>();

/** Rejects if `promise` does not settle within `ms`. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends one QMP command over the unix socket at `path` (after the greeting and capability
 * negotiation) and resolves with its "return" value.
 */
async function qmpCommand(path: string, execute: string): Promise<unknown> {
  const socket = connect(path);
  try {
    const replies: Record<string, unknown>[] = [];
    let buffered = '';
    let wake: (() => void) | undefined;
    socket.on('data', (b: Buffer) => {
      buffered += b.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line !== '') replies.push(JSON.parse(line) as Record<string, unknown>);
      }
      wake?.();
    });
    // Events (no "return"/"error"/"QMP" key) may arrive at any time; skip them.
    const next = async (): Promise<Record<string, unknown>> => {
      for (;;) {
        const i = replies.findIndex((r) => 'QMP' in r || 'return' in r || 'error' in r);
        if (i >= 0) return replies.splice(i, 1)[0] ?? {};
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };
    await within(10_000, next(), 'QMP greeting');
    socket.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
    await within(10_000, next(), 'QMP capabilities reply');
    socket.write(`${JSON.stringify({ execute })}\n`);
    const reply = await within(10_000, next(), `QMP ${execute} reply`);
    if ('error' in reply) throw new Error(`QMP ${execute} failed: ${JSON.stringify(reply.error)}`);
    return reply.return;
  } finally {
    socket.destroy();
  }
}

describe('tiny guest image', () => {
  let work: string;
  let image: TinyImageFiles;

  /** The raw QEMU command line (also in bench/lifecycle/raw-qemu-command.md). */
  const qemuArgs = (overlay: string, extra: readonly string[] = [], append = image.cmdline): string[] => [
    '-machine', 'pc,accel=tcg', '-cpu', 'max', '-m', '256', '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio',
    '-kernel', image.kernel, '-initrd', image.initrd, '-append', append,
    '-blockdev', `driver=file,filename=${overlay},node-name=root-file`,
    '-blockdev', 'driver=qcow2,file=root-file,node-name=root',
    '-device', 'virtio-blk-pci,drive=root',
    ...extra,
  ];

  const createOverlay = async (name: string): Promise<string> => {
    const overlay = join(work, name);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'qcow2', overlay]);
    return overlay;
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'herd-tiny-test-'));
    image = await buildTinyImage(join(work, 'image'));
  }, 180_000);

  afterEach(async () => {
    await Promise.all([...running].map((g) => g.kill()));
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('builds the kernel, initrd and qcow2 disk with the expected command line', async () => {
    expect(image.kernelVersion).toMatch(/^\d+\.\d+/);
    expect(image.cmdline.split(' ')).toEqual(expect.arrayContaining(['console=ttyS0', 'no_timer_check', 'quiet']));
    const info = JSON.parse((await run('qemu-img', ['info', '--output=json', image.disk])).stdout) as { format: string; 'virtual-size': number };
    expect(info).toMatchObject({ format: 'qcow2', 'virtual-size': 64 * 1024 * 1024 });
  });

  it('answers on the serial shell, respawns it, and keeps /data across a shell poweroff', async () => {
    const overlay = await createOverlay('shell.qcow2');

    const first = new SerialGuest(qemuArgs(overlay));
    const bootMs = await first.waitUntilReady();
    console.log(`tiny guest reached ${GUEST_READY_LINE} in ${bootMs} ms`);
    first.type('echo hello-$((6*7))');
    await first.waitFor(/^hello-42\r?$/m, 20_000);
    // The shell is respawned when it exits, rather than init dying (kernel panic).
    first.type('exit');
    await first.waitFor(/built-in shell/, 20_000);
    // Wait for the new shell's prompt: input typed while no shell owns ttyS0 is dropped.
    await first.waitFor(/# /, 20_000);
    first.type('echo again-$((2+3))');
    await first.waitFor(/^again-5\r?$/m, 20_000);
    // No explicit sync: poweroff itself must flush and unmount /data.
    first.type('echo kept-$((40+2)) > /data/marker');
    first.type('poweroff');
    expect(await within(20_000, first.exited, 'QEMU exit after poweroff')).toBe(0);

    const second = new SerialGuest(qemuArgs(overlay));
    await second.waitUntilReady();
    second.type('cat /data/marker');
    await second.waitFor(/^kept-42\r?$/m, 20_000);
  }, 180_000);

  it('powers off cleanly within 10 s on QMP system_powerdown (ACPI power button)', async () => {
    const overlay = await createOverlay('acpi.qcow2');
    const qmp = join(work, 'qmp.sock');

    const guest = new SerialGuest(qemuArgs(overlay, ['-qmp', `unix:${qmp},server=on,wait=off`]));
    await guest.waitUntilReady();
    // Leave the shell inside /data with a file written but not synced: the power-button path
    // has to kill the shell, sync and unmount for the file to survive.
    guest.type('cd /data && echo acpi-$((3*3)) > acpi-marker && echo written');
    await guest.waitFor(/^written\r?$/m, 20_000);
    const pressedAt = Date.now();
    await qmpCommand(qmp, 'system_powerdown');
    expect(await within(10_000, guest.exited, 'QEMU exit after system_powerdown')).toBe(0);
    console.log(`QEMU exited ${Date.now() - pressedAt} ms after system_powerdown`);

    const again = new SerialGuest(qemuArgs(overlay));
    await again.waitUntilReady();
    again.type('cat /data/acpi-marker');
    await again.waitFor(/^acpi-9\r?$/m, 20_000);
  }, 180_000);

  it('configures eth0 by DHCP and takes its hostname from herd.hostname=', async () => {
    const overlay = await createOverlay('net.qcow2');
    const guest = new SerialGuest(
      qemuArgs(overlay, ['-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0'], `${image.cmdline} herd.hostname=tiny-net`),
    );
    await guest.waitUntilReady();
    guest.type('hostname');
    await guest.waitFor(/^tiny-net\r?$/m, 20_000);
    // udhcpc runs in the background, so the lease may come a little after the ready line.
    const deadline = Date.now() + 30_000;
    for (;;) {
      guest.type('ip -4 addr show eth0; echo end-$((1+1))');
      const output = await guest.readUntil(/^end-2\r?$/m, 20_000);
      if (output.includes('inet 10.0.2.15/24')) break;
      if (Date.now() > deadline) throw new Error(`guest did not get 10.0.2.15 by DHCP within 30 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    guest.type('ip route show default');
    await guest.waitFor(/^default via 10\.0\.2\.2 dev eth0/m, 20_000);
  }, 180_000);

  it('rebuilds into the same directory safely, with a byte-identical initramfs', async () => {
    const before = await readFile(image.initrd);
    const again = await buildTinyImage(join(work, 'image'));
    expect(again).toEqual(image);
    expect((await readFile(again.initrd)).equals(before)).toBe(true);
    // Scratch directories are gone; only the image files remain.
    expect((await readdir(join(work, 'image'))).sort()).toEqual(['disk.qcow2', 'initrd.img', basename(image.kernel)].sort());
  }, 120_000);
});
