/**
 * NIC hotplug against a real QEMU running the tiny guest (TCG), on tap devices in bridges inside
 * a network namespace made for this file, so the host's own networking is never touched. busybox
 * udhcpd serves DHCP on each bridge; what QMP reports is checked against what the guest sees,
 * read through the serial console. One VM serves every test, in order: it boots with a NIC on
 * network A (10.77.0.0/24); a second NIC on network B (10.78.0.0/24, MTU 1400) comes and goes.
 *
 * QEMU is started inside the namespace with `ip netns exec` (so it opens the taps there) from
 * the same argv `launchQemu` would use; production launches stay as they are.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/exec.js';
import { isQemuOf, processState, readPidfile } from '../host/proc.js';
import { buildTinyImage } from '../images/tiny/build-tiny-image.js';
import { GUEST_READY_LINE } from '../images/tiny/guest-init-script.js';
import { buildArgv, QEMU_BINARY } from './build-argv.js';
import type { LaunchSpec, NicSpec } from './launch-spec.js';
import { consoleSocketPath, pidfilePath, qmpSocketPath } from './launch-spec.js';
import { QmpClient } from './qmp-client.js';
import { hotplugNic, listNics, nicMac, NicOperationError, NicReleaseTimeoutError, unplugNic } from './qmp-nic.js';
import { SerialConsole } from './testing/tiny-vm.js';

const RELEASE_TIMEOUT_MS = 20_000;
const netns = `herd-q-${randomBytes(4).toString('hex')}`;

/** One bridge with a DHCP server and one tap: a network a NIC can be put on. */
interface TestNetwork {
  readonly bridge: string;
  readonly tap: string;
  /** The first three octets. */
  readonly prefix: string;
  readonly mtu: number;
}
const netA: TestNetwork = { bridge: 'br-a', tap: 'tap-a', prefix: '10.77.0', mtu: 1500 };
const netB: TestNetwork = { bridge: 'br-b', tap: 'tap-b', prefix: '10.78.0', mtu: 1400 };

const lan: NicSpec = { id: 'lan', tap: netA.tap, mac: '52:54:00:77:00:10' };
const wan: NicSpec = { id: 'wan', tap: netB.tap, mac: '52:54:00:78:00:20', mtu: netB.mtu };

/** Runs `command` inside the test's namespace. */
function inNetns(command: string, args: readonly string[]): ReturnType<typeof run> {
  return run('ip', ['netns', 'exec', netns, command, ...args]);
}

/** Connects to QMP once a QEMU started detached answers (within 30 s), unless it has exited. */
async function qmpWhenUp(path: string, exited: () => boolean): Promise<QmpClient> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      return await QmpClient.connect(path);
    } catch (e) {
      if (Date.now() > until || exited()) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Makes `net`'s bridge (with the .1 address) and tap, and starts busybox udhcpd on the bridge. */
async function createNetwork(net: TestNetwork, dir: string): Promise<ChildProcess> {
  const mtu = String(net.mtu);
  await inNetns('ip', ['link', 'add', net.bridge, 'mtu', mtu, 'type', 'bridge']);
  await inNetns('ip', ['addr', 'add', `${net.prefix}.1/24`, 'dev', net.bridge]);
  await inNetns('ip', ['link', 'set', net.bridge, 'up']);
  await inNetns('ip', ['tuntap', 'add', 'dev', net.tap, 'mode', 'tap']);
  await inNetns('ip', ['link', 'set', net.tap, 'mtu', mtu, 'master', net.bridge, 'up']);
  const conf = join(dir, `udhcpd-${net.bridge}.conf`);
  writeFileSync(
    conf,
    [
      `interface ${net.bridge}`,
      `start ${net.prefix}.100`,
      `end ${net.prefix}.199`,
      `lease_file ${join(dir, `udhcpd-${net.bridge}.leases`)}`,
      `pidfile ${join(dir, `udhcpd-${net.bridge}.pid`)}`,
      'option subnet 255.255.255.0',
      `option router ${net.prefix}.1`,
      'option lease 3600',
      '',
    ].join('\n'),
  );
  // -a: udhcpd ARP-pings each address before offering it, 2 s by default; nobody else is here.
  const server = spawn('ip', ['netns', 'exec', netns, 'busybox', 'udhcpd', '-f', '-a', '100', conf], { stdio: 'ignore' });
  server.on('error', () => undefined);
  return server;
}

describe('NIC hotplug over QMP (tiny guest, TCG, own network namespace)', () => {
  const work = mkdtempSync(join(tmpdir(), 'herd-qmp-nic-'));
  const dhcpServers: ChildProcess[] = [];
  let pid: number | undefined;
  let qmp: QmpClient;
  let guest: SerialConsole;

  /** Runs `command` in the guest shell and returns its output. */
  const sh = (command: string, timeoutMs?: number): Promise<string> => guest.run(command, timeoutMs);

  /** Waits (in the guest, up to 20 s) for `dev` to have an IPv4 address and returns it. */
  async function leasedAddress(dev: string): Promise<string | undefined> {
    const out = await sh(
      `i=0; until ip -4 addr show ${dev} | grep -q 'inet '; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.2; done; ip -4 addr show ${dev}`,
    );
    return /inet (\d+\.\d+\.\d+\.\d+)\/24/.exec(out)?.[1];
  }

  /** The netdevs QEMU has, from HMP `info network` (QEMU 7.2 has no QMP command that lists them). */
  async function netdevs(): Promise<string> {
    return qmp.execute('human-monitor-command', { 'command-line': 'info network' }, Type.String());
  }

  beforeAll(async () => {
    await run('ip', ['netns', 'add', netns]);
    await inNetns('ip', ['link', 'set', 'lo', 'up']);
    for (const net of [netA, netB]) dhcpServers.push(await createNetwork(net, work));
    const image = await buildTinyImage(join(work, 'image'));
    const rootOverlay = join(work, 'root.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'qcow2', rootOverlay]);
    const spec: LaunchSpec = {
      uuid: randomUUID(),
      name: 'qmp-nic-test',
      accel: 'tcg',
      cpus: 1,
      memoryMiB: 128,
      runDir: join(work, 'run'),
      consoleLog: join(work, 'console.log'),
      boot: { kind: 'kernel', kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline },
      disks: [{ id: 'root', path: rootOverlay, format: 'qcow2' }],
      nics: [lan],
    };
    mkdirSync(spec.runDir, { mode: 0o700 });
    // QEMU's sandbox rules out -daemonize (see QEMU_SANDBOX): it runs detached inside the
    // namespace (`ip netns exec` execs it: same pid), and is ready once QMP answers.
    const qemu = spawn('ip', ['netns', 'exec', netns, QEMU_BINARY, ...buildArgv(spec)], { detached: true, stdio: 'ignore' });
    qemu.unref();
    qmp = await qmpWhenUp(qmpSocketPath(spec.runDir), () => qemu.exitCode !== null);
    pid = readPidfile(pidfilePath(spec.runDir));
    if (pid === undefined || !isQemuOf(pid, spec.uuid)) throw new Error('QEMU did not start');
    guest = await SerialConsole.connect(consoleSocketPath(spec.runDir));
    await guest.waitFor(new RegExp(`^${GUEST_READY_LINE}\\r?$`, 'm'), 60_000);
    await guest.waitFor(/# /, 30_000);
  }, 120_000);

  afterAll(async () => {
    qmp?.close();
    guest?.close();
    if (pid !== undefined && processState(pid) === 'alive') process.kill(pid, 'SIGKILL');
    for (const s of dhcpServers) s.kill('SIGKILL');
    const until = Date.now() + 10_000;
    while (pid !== undefined && processState(pid) === 'alive' && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    // The bridges and taps go with the namespace.
    await run('ip', ['netns', 'delete', netns], { allowFailure: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('boots with a NIC on a tap: the guest has its MAC, leases an address on the bridge and reaches it', async () => {
    expect(await listNics(qmp)).toEqual(['lan']);
    expect(await nicMac(qmp, 'lan')).toBe(lan.mac);
    expect(await nicMac(qmp, 'root')).toBeUndefined();
    expect((await sh('cat /sys/class/net/eth0/address')).trim()).toBe(lan.mac);
    const ip = await leasedAddress('eth0');
    expect(ip).toMatch(/^10\.77\.0\.1\d\d$/);
    expect(await sh('ping -c 1 -W 5 10.77.0.1')).toContain('1 packets received');
    expect(await sh('ip -4 route show default')).toMatch(/^default via 10\.77\.0\.1 dev eth0/m);
    // And from the bridge's side: the tap really is on it.
    expect((await inNetns('busybox', ['ping', '-c', '1', '-W', '5', ip!])).stdout).toContain('1 packets received');
  });

  it('hot-plugs a NIC on another network: eth1 gets its MAC, MTU and a lease, the default route stays on eth0; repeating is a no-op', async () => {
    await hotplugNic(qmp, wan);
    await hotplugNic(qmp, wan);
    expect(await listNics(qmp)).toEqual(['lan', 'wan']);
    // The guest's DHCP loop looks for new interfaces once a second.
    expect(await leasedAddress('eth1')).toMatch(/^10\.78\.0\.1\d\d$/);
    expect((await sh('cat /sys/class/net/eth1/address')).trim()).toBe(wan.mac);
    expect((await sh('cat /sys/class/net/eth1/mtu')).trim()).toBe(String(netB.mtu));
    expect(await sh('ping -c 1 -W 5 10.78.0.1')).toContain('1 packets received');
    // Exactly one default route, still eth0's.
    expect((await sh('ip -4 route show default')).trim()).toMatch(/^default via 10\.77\.0\.1 dev eth0\s*$/);
  });

  it('refuses an id held by another device or by a NIC with another MAC, and a tap already in use, leaving nothing behind; detaches only NICs', async () => {
    await expect(hotplugNic(qmp, { ...wan, mac: '52:54:00:78:00:99' })).rejects.toThrow(
      "cannot attach NIC 'wan': a NIC with this id is already attached with MAC 52:54:00:78:00:20; detach it first",
    );
    await expect(hotplugNic(qmp, { id: 'root', tap: 'tap-x', mac: '52:54:00:00:00:01' })).rejects.toThrow(
      "cannot attach NIC 'root': the id is taken by a device of type child<virtio-blk-pci>",
    );
    const busy = hotplugNic(qmp, { id: 'again', tap: netA.tap, mac: '52:54:00:77:00:11' });
    await expect(busy).rejects.toThrow(NicOperationError);
    await expect(busy).rejects.toThrow(/^cannot attach NIC 'again': .*tap-a.*busy/i);
    expect(await listNics(qmp)).toEqual(['lan', 'wan']);
    expect(await netdevs()).not.toContain('again-net');
    await expect(unplugNic(qmp, 'root', { timeoutMs: 1_000 })).rejects.toThrow(
      "cannot detach NIC 'root': device 'root' is a child<virtio-blk-pci>, not a virtio-net NIC",
    );
    await expect(unplugNic(qmp, 'nic0', { timeoutMs: 1_000 })).rejects.toThrow(/cannot detach NIC 'nic0': it is the port-forward NIC/);
  });

  it('gives up on a guest that does not release the NIC, leaves it attached, and completes on a later call', async () => {
    // A paused guest cannot answer the ACPI eject request, as one without hotplug support would not.
    await qmp.stop();
    const err = await unplugNic(qmp, 'wan', { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NicReleaseTimeoutError);
    expect((err as Error).message).toMatch(/did not release NIC 'wan' within 1000 ms/);
    expect(await listNics(qmp)).toEqual(['lan', 'wan']);
    expect(await netdevs()).toContain('wan-net');
    await qmp.cont();

    await unplugNic(qmp, 'wan', { timeoutMs: RELEASE_TIMEOUT_MS });
    await unplugNic(qmp, 'wan', { timeoutMs: RELEASE_TIMEOUT_MS });
    expect(await listNics(qmp)).toEqual(['lan']);
    expect(await netdevs()).not.toContain('wan-net');
    expect(await sh('ls /sys/class/net')).not.toContain('eth1');
    expect((await sh('ip -4 route show default')).trim()).toMatch(/^default via 10\.77\.0\.1 dev eth0\s*$/);
  });

  it('replaces a netdev left by an interrupted attach; the guest leases an address on the new eth1', async () => {
    await qmp.execute('netdev_add', { type: 'tap', id: 'wan-net', ifname: netB.tap, script: 'no', downscript: 'no' }, Type.Object({}));
    await hotplugNic(qmp, wan);
    expect(await listNics(qmp)).toEqual(['lan', 'wan']);
    expect(await leasedAddress('eth1')).toMatch(/^10\.78\.0\.1\d\d$/);
    expect(readFileSync(join(work, 'console.log'), 'utf8')).not.toMatch(/udhcpc|Kernel panic/);
  });
});
