// The libvirt baseline of the lifecycle benchmark: the same tiny guest, defined, started and
// force-stopped through `virsh -c qemu:///system` (domain type 'qemu', i.e. TCG), so that herd
// is measured against the manager most people would otherwise use. This is the only module of
// the bench that talks to libvirt; run.mjs does the timing, the same way for herd, raw QEMU and
// virsh. It is used only when run.mjs is given --with-virsh: nothing else in the repository
// needs libvirt.
//
// What openVirshBaseline() does to the host, as root (bench/README.md says why):
//   - installs, when a binary is missing, the least packages that give a working QEMU driver:
//     libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients, and tini (see below);
//   - creates the system user libvirt-qemu when it does not exist (Debian's libvirt runs QEMU
//     as that user and refuses to start its QEMU driver without it; libvirt-daemon-system would
//     create it, but also brings a NAT network, firewall rules and polkit, none of which a
//     NIC-less domain uses);
//   - starts virtlogd and libvirtd as child processes when no libvirtd answers (PID 1 here is
//     not systemd, so there is no socket activation), and stops them again in close().
//
// libvirtd is started under `tini -s` (a child subreaper). Transcript of why, on this machine
// (PID 1 is /process_api): QEMU is double-forked by libvirt and so is re-parented to PID 1 when
// it exits, and this PID 1 reaps orphans late; libvirt's destroy waits with kill(pid, 0) until
// the PID is gone, so the zombie's lifetime is billed to `virsh destroy`:
//
//   $ qemu-system-x86_64 -machine pc -accel tcg -m 128 -nodefaults -display none \
//       -daemonize -pidfile q.pid -S; kill $(cat q.pid)   # then poll /proc/PID/stat
//   33 ms state=S
//   98 ms state=Z
//   gone after 1647 ms
//
// virsh destroy took 1.56-2.14 s that way; under tini (which reaps at once, as systemd would)
// it takes 0.3-0.5 s on the same loaded host.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The connection every virsh call uses: the system instance, where QEMU domains normally live. */
export const VIRSH_URI = 'qemu:///system';

/** Debian packages installed on demand: the daemons, the QEMU driver, virsh, and a subreaper. */
export const LIBVIRT_PACKAGES = ['libvirt-daemon', 'libvirt-daemon-driver-qemu', 'libvirt-clients', 'tini'];

/** The user Debian's libvirt runs QEMU as (its built-in default; qemu.conf may name another). */
const QEMU_USER = 'libvirt-qemu';

/**
 * What libvirt adds to the lean domain below whatever the XML says, as seen in `virsh dumpxml`
 * and the QEMU command line libvirt 9.0 builds; printed under the results table.
 */
export const LIBVIRT_ADDITIONS =
  'libvirt still adds (beyond -S and a QMP resume, which herd does too): a secret object (master key) and an explicit ' +
  'memory-backend-ram; -overcommit mem-lock=off, -rtc base=utc, -no-shutdown, -boot strict=on, -audiodev none, ' +
  '-sandbox on (seccomp), -msg timestamp=on; the backing disk.qcow2 opened as its own read-only blockdev node; ' +
  'the PS/2 keyboard and mouse of the pc machine listed as devices; QEMU runs as libvirt-qemu in its own mount ' +
  'namespace and cgroups, and its files are chowned to that user for the run';

const sleep = (t) => new Promise((r) => setTimeout(r, t));
const which = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const tail = (text, n = 6) => text.trim().split('\n').slice(-n).join('\n');
const xml = (s) => String(s).replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Runs virsh against {@link VIRSH_URI}; resolves with its exit code and output, never rejects. */
function virsh(args) {
  return new Promise((resolve) => {
    const child = spawn('virsh', ['-q', '-c', VIRSH_URI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: String(e) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs virsh and throws with its message when it fails. */
async function virshOk(args) {
  const r = await virsh(args);
  if (r.code !== 0) throw new Error(`virsh ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/** Resident memory of a process in KiB, or NaN when it is gone. */
function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** The PID written in `pidFile` if that process is alive and is `comm`, else undefined. */
function pidFromFile(pidFile, comm) {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Installs {@link LIBVIRT_PACKAGES} when a binary is missing; returns an error text or null. */
function ensurePackages(log) {
  if (['virsh', 'libvirtd', 'virtlogd', 'tini'].every(which)) return null;
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...LIBVIRT_PACKAGES], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  log(`installing ${LIBVIRT_PACKAGES.join(' ')} with apt-get...`);
  let r = install();
  if (r.status !== 0) {
    log('apt-get install failed; running apt-get update and trying once more...');
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    r = install();
  }
  if (r.status !== 0) return `apt-get install ${LIBVIRT_PACKAGES.join(' ')} failed:\n${tail(`${r.stdout ?? ''}${r.stderr ?? r.error ?? ''}`)}`;
  return null;
}

/** Creates the user libvirt runs QEMU as, as Debian's libvirt-daemon-system would; error text or null. */
function ensureQemuUser(log) {
  if (spawnSync('getent', ['passwd', QEMU_USER], { stdio: 'ignore' }).status === 0) return null;
  log(`creating the system user ${QEMU_USER}...`);
  const r = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--home-dir', '/var/lib/libvirt', '--shell', '/usr/sbin/nologin', '--comment', 'Libvirt Qemu', QEMU_USER],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? null : `useradd ${QEMU_USER} failed: ${r.stderr.trim()}`;
}

/** Starts `argv` as a child whose output goes to `logPath`. */
function spawnLogged(argv, logPath) {
  const fd = openSync(logPath, 'a');
  // Its own process group, so that a ^C meant for the bench does not stop it before close() ran.
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.exited = new Promise((r) => child.once('exit', r));
  child.once('error', () => {});
  return child;
}

/** Waits until `probe()` is true, or `child` exits, or `timeoutMs` passes; returns whether it became true. */
async function waitUntil(probe, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    if (child && child.exitCode !== null) return false;
    await sleep(100);
  }
  return false;
}

/** Sends SIGTERM to a child we started, then SIGKILL if it has not exited after `graceMs`. */
async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const exited = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!exited) {
    child.kill('SIGKILL');
    await child.exited;
  }
}

/**
 * Makes libvirt usable for the bench and returns a {@link VirshBaseline} for the given guest, or
 * `{ unavailable: reason }` when it cannot (not root, apt-get failed, a daemon did not come up).
 * Call once, after the tiny image is built; always `close()` the baseline it returns.
 * `image` holds the kernel, initrd and base disk paths and the kernel command line.
 */
export async function openVirshBaseline({ image, memoryMiB, log = (s) => process.stderr.write(`${s}\n`) }) {
  if (process.getuid?.() !== 0) return { unavailable: 'the virsh baseline needs root (it installs libvirt and runs qemu:///system)' };
  const problem = ensurePackages(log) ?? ensureQemuUser(log);
  if (problem) return { unavailable: problem };

  // QEMU runs as libvirt-qemu, which cannot enter herd's 0700 data dir: give it copies of the
  // image files in a directory it may traverse (libvirt chowns the files themselves per run).
  const dir = mkdtempSync('/tmp/herd-virsh-bench-');
  chmodSync(dir, 0o711);
  const files = { kernel: join(dir, 'kernel'), initrd: join(dir, 'initrd.img'), disk: join(dir, 'base.qcow2') };
  for (const k of ['kernel', 'initrd', 'disk']) copyFileSync(image[k], files[k]);

  const daemons = [];
  const baseline = new VirshBaseline(dir, { ...files, cmdline: image.cmdline ?? '' }, memoryMiB, daemons);
  const answers = async () => (await virsh(['version', '--daemon'])).code === 0;
  try {
    if (await answers()) {
      log('using the libvirtd that is already running (it is left running afterwards)');
    } else {
      if (!pidFromFile('/run/virtlogd.pid', 'virtlogd')) {
        const virtlogd = spawnLogged(['virtlogd'], join(dir, 'virtlogd.log'));
        daemons.push({ name: 'virtlogd', child: virtlogd, log: join(dir, 'virtlogd.log') });
        if (!(await waitUntil(() => existsSync('/run/libvirt/virtlogd-sock'), virtlogd, 10_000)))
          throw new Error(`virtlogd did not come up:\n${tail(readFileSync(join(dir, 'virtlogd.log'), 'utf8'))}`);
      }
      log('starting libvirtd (its first start probes QEMU, which takes a while under TCG)...');
      const libvirtd = spawnLogged(['tini', '-s', '--', 'libvirtd'], join(dir, 'libvirtd.log'));
      daemons.push({ name: 'libvirtd', child: libvirtd, log: join(dir, 'libvirtd.log') });
      if (!(await waitUntil(answers, libvirtd, 120_000)))
        throw new Error(`libvirtd did not answer on ${VIRSH_URI}:\n${tail(readFileSync(join(dir, 'libvirtd.log'), 'utf8'))}`);
    }
    const version = await virshOk(['version', '--daemon']);
    const field = (label) => new RegExp(`${label}: (.*)`).exec(version)?.[1].trim() ?? '?';
    baseline.version = `libvirtd ${field('Running against daemon')} on ${VIRSH_URI}, ${field('Running hypervisor')}`;
    return baseline;
  } catch (e) {
    await baseline.close();
    return { unavailable: e.message };
  }
}

/**
 * Lean libvirt domains of the tiny guest, each with its own qcow2 overlay and serial log, in a
 * directory this object owns. Made by {@link openVirshBaseline}; every method may be called until
 * `close()`, which undoes everything it and openVirshBaseline set up (domains, files, daemons).
 */
class VirshBaseline {
  /** Which libvirtd and QEMU answered, one line, filled in by openVirshBaseline. */
  version = '';
  #dir;
  #image;
  #memoryMiB;
  #daemons;
  /** name -> domain, for every domain defined and not yet undefined. */
  #domains = new Map();

  constructor(dir, image, memoryMiB, daemons) {
    this.#dir = dir;
    this.#image = image;
    this.#memoryMiB = memoryMiB;
    this.#daemons = daemons;
  }

  /** Whether libvirtd and virtlogd were started by the bench (and so are stopped by close()). */
  get startedDaemons() {
    return this.#daemons.length > 0;
  }

  /**
   * Defines a persistent domain `herd-bench-<pid>-<label>` on a fresh overlay of the base disk,
   * and returns `{ name, consoleLog }`. The domain is stopped; start it with start().
   */
  async define(label) {
    const name = `herd-bench-${process.pid}-${label}`;
    const overlay = join(this.#dir, `${label}.qcow2`);
    const consoleLog = join(this.#dir, `${label}.console.log`);
    const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', this.#image.disk, '-F', 'qcow2', overlay], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`qemu-img create ${overlay} failed: ${r.stderr}`);
    const xmlPath = join(this.#dir, `${label}.xml`);
    writeFileSync(xmlPath, this.#domainXml(name, overlay, consoleLog));
    this.#domains.set(name, { name, consoleLog });
    await virshOk(['define', xmlPath]);
    return { name, consoleLog };
  }

  /** `virsh start`: returns once libvirt has QEMU running, QMP connected and the vCPU resumed. */
  async start(domain) {
    await virshOk(['start', domain.name]);
  }

  /** `virsh destroy`: force stop; returns once QEMU is gone and libvirt has cleaned up after it. */
  async destroy(domain) {
    await virshOk(['destroy', domain.name]);
  }

  /** `virsh domstate`: one virsh process, one connection, one cheap call (virsh's own cost). */
  async state(domain) {
    return (await virshOk(['domstate', domain.name])).trim();
  }

  /** VmRSS of libvirtd and virtlogd in KiB (whichever instances serve qemu:///system). */
  daemonRssKiB() {
    const libvirtd = pidFromFile('/run/libvirtd.pid', 'libvirtd');
    const virtlogd = pidFromFile('/run/virtlogd.pid', 'virtlogd');
    const kib = { libvirtd: libvirtd ? rssKiB(libvirtd) : NaN, virtlogd: virtlogd ? rssKiB(virtlogd) : NaN };
    return { ...kib, total: kib.libvirtd + kib.virtlogd };
  }

  /**
   * Destroys and undefines every domain defined here, removes their libvirt logs and this
   * object's directory, and stops the daemons openVirshBaseline started. Safe to call twice.
   */
  async close() {
    for (const { name } of this.#domains.values()) {
      await virsh(['destroy', name]);
      if ((await virsh(['undefine', name])).code !== 0) {
        // libvirtd is gone: make sure its QEMU is too, and drop the definition it left behind.
        this.#killQemu(name);
        rmSync(`/etc/libvirt/qemu/${name}.xml`, { force: true });
      }
      rmSync(`/var/log/libvirt/qemu/${name}.log`, { force: true });
    }
    this.#domains.clear();
    for (const { child } of this.#daemons.reverse()) await stopChild(child);
    this.#daemons.length = 0;
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** SIGKILLs the QEMU of domain `name` if its pidfile names a process that is that domain's QEMU. */
  #killQemu(name) {
    try {
      const pid = Number(readFileSync(`/run/libvirt/qemu/${name}.pid`, 'utf8').trim());
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`guest=${name},`)) process.kill(pid, 'SIGKILL');
    } catch {
      // no pidfile or no such process: nothing to kill
    }
  }

  /**
   * The leanest domain libvirt accepts for the guest herd runs: TCG, pc machine, `-cpu max`,
   * one vCPU, direct kernel boot, one virtio disk, the serial port to a file; no NIC, graphics,
   * USB controller or balloon. ACPI is on, as it is for herd and raw QEMU (without <acpi/>
   * libvirt would pass -no-acpi).
   */
  #domainXml(name, overlay, consoleLog) {
    const img = this.#image;
    return `<domain type='qemu'>
  <name>${xml(name)}</name>
  <memory unit='MiB'>${this.#memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${xml(img.kernel)}</kernel>
    <initrd>${xml(img.initrd)}</initrd>
    <cmdline>${xml(img.cmdline)}</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='maximum' check='none'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${xml(overlay)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='${xml(consoleLog)}'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
`;
  }
}
