/**
 * dnsmasq, the DHCP and DNS server of each nat, isolated and vxlan network: it listens on the
 * network's bridge address only, hands out the fixed address of each NIC (by MAC) and answers
 * for the VMs' names in the network's domain. Like QEMU it outlives the daemon: it daemonizes
 * with a pidfile, and the daemon finds it again after a restart, trusting a pid only when
 * /proc/PID/cmdline shows a dnsmasq started for that network. Nothing is read from a
 * configuration file (`--conf-file=/dev/null`), so the command line is the whole truth.
 *
 * dnsmasq drops root for user nobody once started, and reads the hosts files as nobody, at start
 * and on each reload: the directory and every directory above it must be searchable by others
 * (startDnsmasq checks), and writeLeases writes the files readable by all.
 */
import { constants, readdirSync } from 'node:fs';
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { processCmdline, processState, readPidfile } from '../host/proc.js';
import { checkIpv4, formatIpv4, inPrefix, netmask, parseIpv4, prefixMask } from './ipv4.js';
import { checkLinkName } from './link-names.js';
import type { NetExec } from './net-exec.js';

/** What a network's dnsmasq serves. */
export interface DnsmasqSpec {
  /** The network's id (a UUID): written into the command line, so /proc shows whose dnsmasq it is. */
  readonly networkId: string;
  /** The bridge to serve, which must be up with `gateway` as its address before dnsmasq starts. */
  readonly bridge: string;
  /** The bridge's address: where DHCP and DNS are served, and the default route given out. */
  readonly gateway: string;
  /** The network's prefix length (24 for a /24). */
  readonly prefixLength: number;
  /** Addresses handed to clients herd has no fixed lease for. */
  readonly dhcpRange: { readonly start: string; readonly end: string };
  /** DNS domain of the VMs' names (`vm1.<domain>`). */
  readonly domain: string;
  /** Give clients a default route through the gateway (nat); isolated networks give none. */
  readonly router: boolean;
  /** Absolute directory of the network's dnsmasq files: pidfile, leases, hosts files. */
  readonly dir: string;
  /**
   * Answer only clients that have a fixed lease, and give out no address from `dhcpRange`: for
   * networks with a server on every host (vxlan), where two servers must never hand one client
   * different addresses.
   */
  readonly knownOnly?: boolean;
  /** The MTU to tell clients (DHCP option 26), for networks below Ethernet's 1500. */
  readonly mtu?: number;
}

/** A fixed lease: the NIC with this MAC gets this address and name. */
export interface DnsmasqLease {
  readonly mac: string;
  readonly ip: string;
  /** The VM's name; resolves in the network, alone and with the network's domain. */
  readonly name: string;
}

/** A running dnsmasq herd started, as found in /proc. */
export interface RunningDnsmasq {
  readonly pid: number;
  readonly networkId: string;
}

/** Files of a network's dnsmasq in its directory. */
export const DNSMASQ_FILES = { pidfile: 'dnsmasq.pid', hostsDhcp: 'hosts.dhcp', hosts: 'hosts', leases: 'leases' } as const;

// The command-line marker naming the network. --tag-if with only a set: clause tags every DHCP
// request with it, which nothing else in the configuration reads: a harmless place for the id.
const MARKER = 'set:herd-network-';
const TAG_OPTION = `--tag-if=${MARKER}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function checkNetworkId(id: string): string {
  if (!UUID.test(id)) throw new RangeError(`network id '${id}' is not a UUID`);
  return id;
}

function checkDomain(domain: string): string {
  if (domain.length > 253 || !domain.split('.').every((l) => LABEL.test(l))) throw new RangeError(`'${domain}' is not a DNS domain such as default.herd`);
  return domain;
}

function checkDir(dir: string): string {
  // dnsmasq splits some option values at commas; a path with one would be read as two.
  if (!isAbsolute(dir) || /[,\s]/.test(dir)) throw new RangeError(`dnsmasq directory '${dir}' must be an absolute path without commas or spaces`);
  return resolve(dir);
}

/**
 * The arguments (after the program name) that start the dnsmasq of a network, daemonized and
 * writing its pid to `DIR/dnsmasq.pid`. Throws RangeError when an address lies outside the
 * gateway's network, the range is backwards, or a name, id or path is malformed. Pure.
 */
export function dnsmasqArgv(spec: DnsmasqSpec): string[] {
  const networkId = checkNetworkId(spec.networkId);
  const bridge = checkLinkName(spec.bridge);
  const dir = checkDir(spec.dir);
  const domain = checkDomain(spec.domain);
  const { prefixLength } = spec;
  if (!(Number.isInteger(prefixLength) && prefixLength >= 1 && prefixLength <= 30)) throw new RangeError(`prefix length ${prefixLength} is out of range: give 1 to 30`);
  const net = { address: parseIpv4(checkIpv4(spec.gateway, 'gateway'))!, prefixLength };
  const start = parseIpv4(checkIpv4(spec.dhcpRange.start, 'DHCP range start'))!;
  const end = parseIpv4(checkIpv4(spec.dhcpRange.end, 'DHCP range end'))!;
  for (const [what, a] of [['start', start], ['end', end]] as const) {
    if (!inPrefix(net, a)) throw new RangeError(`DHCP range ${what} ${what === 'start' ? spec.dhcpRange.start : spec.dhcpRange.end} is outside ${spec.gateway}/${prefixLength}`);
  }
  if (end < start) throw new RangeError(`DHCP range ${spec.dhcpRange.start}-${spec.dhcpRange.end} ends before it starts`);
  if (spec.mtu !== undefined && !(Number.isInteger(spec.mtu) && spec.mtu >= 576 && spec.mtu <= 65535)) throw new RangeError(`MTU ${spec.mtu} is out of range: give 576 to 65535`);
  return [
    '--conf-file=/dev/null',
    `--pid-file=${join(dir, DNSMASQ_FILES.pidfile)}`,
    `${TAG_OPTION}${networkId}`,
    // Only the bridge: never the host's other interfaces, nor a port 53 another server holds.
    '--bind-interfaces',
    `--interface=${bridge}`,
    '--except-interface=lo',
    `--listen-address=${spec.gateway}`,
    // `static`: addresses only from the hosts file, none from a pool.
    spec.knownOnly
      ? `--dhcp-range=${formatIpv4((net.address & prefixMask(prefixLength)) >>> 0)},static,${netmask(prefixLength)},1h`
      : `--dhcp-range=${spec.dhcpRange.start},${spec.dhcpRange.end},${netmask(prefixLength)},1h`,
    // Not even a NAK for a client without a lease: it may be another server's to answer.
    ...(spec.knownOnly ? ['--dhcp-ignore=tag:!known'] : []),
    `--dhcp-hostsfile=${join(dir, DNSMASQ_FILES.hostsDhcp)}`,
    `--addn-hosts=${join(dir, DNSMASQ_FILES.hosts)}`,
    `--domain=${domain}`,
    `--local=/${domain}/`,
    '--expand-hosts',
    `--dhcp-leasefile=${join(dir, DNSMASQ_FILES.leases)}`,
    // The only DHCP server of the network: answer clients that ask for an address it never gave.
    '--dhcp-authoritative',
    '--no-hosts',
    // Option 3 (router) without a value: no default route.
    ...(spec.router ? [] : ['--dhcp-option=3']),
    ...(spec.mtu !== undefined ? [`--dhcp-option=26,${spec.mtu}`] : []),
  ];
}

/** The network id in a dnsmasq command line herd built, or undefined when it is not one. Pure. */
export function dnsmasqNetworkOf(argv: readonly string[]): string | undefined {
  const argv0 = argv[0];
  if (argv0 === undefined || basename(argv0) !== 'dnsmasq') return undefined;
  const id = argv.find((a) => a.startsWith(TAG_OPTION))?.slice(TAG_OPTION.length);
  return id !== undefined && UUID.test(id) ? id : undefined;
}

/** Reports whether `argv` is a dnsmasq herd started for network `networkId` (compared case-insensitively). Pure. */
export function isDnsmasqCmdlineOf(argv: readonly string[], networkId: string): boolean {
  return dnsmasqNetworkOf(argv)?.toLowerCase() === networkId.toLowerCase();
}

function checkLease(l: DnsmasqLease): void {
  if (!MAC.test(l.mac)) throw new RangeError(`'${l.mac}' is not a MAC address such as 52:54:00:12:34:56`);
  checkIpv4(l.ip, `lease address for ${l.mac}`);
  if (!LABEL.test(l.name)) throw new RangeError(`'${l.name}' cannot be a host name: use letters, digits and '-', not at either end, at most 63`);
}

/** The text of `hosts.dhcp`: one `MAC,IP,NAME` line per lease. Throws RangeError on a malformed or repeated MAC or address. Pure. */
export function hostsDhcpText(leases: readonly DnsmasqLease[]): string {
  const seen = new Set<string>();
  for (const l of leases) {
    checkLease(l);
    for (const key of [l.mac.toLowerCase(), l.ip]) {
      if (seen.has(key)) throw new RangeError(`${key} has two leases; each MAC and address may have one`);
      seen.add(key);
    }
  }
  return leases.map((l) => `${l.mac.toLowerCase()},${l.ip},${l.name}\n`).join('');
}

/** The text of `hosts`: one `IP NAME` line per lease, so names resolve before a VM has asked for its lease. Pure. */
export function hostsText(leases: readonly DnsmasqLease[]): string {
  for (const l of leases) checkLease(l);
  return leases.map((l) => `${l.ip} ${l.name}\n`).join('');
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  // Readable by dnsmasq, which runs as nobody; chmod, since writeFile's mode is cut by the umask.
  await chmod(tmp, 0o644);
  await rename(tmp, path);
}

/**
 * Writes the fixed leases of a network into `dir` (hosts.dhcp and hosts), each file replaced
 * atomically so a running dnsmasq never reads half of one, and only when its text changed.
 * Resolves to whether either file changed: a running dnsmasq reads them on {@link reloadDnsmasq}.
 * `dir` must exist. Throws RangeError on a malformed lease.
 */
export async function writeLeases(dir: string, leases: readonly DnsmasqLease[]): Promise<boolean> {
  const d = checkDir(dir);
  let changed = false;
  for (const [file, text] of [
    [DNSMASQ_FILES.hostsDhcp, hostsDhcpText(leases)],
    [DNSMASQ_FILES.hosts, hostsText(leases)],
  ] as const) {
    const path = join(d, file);
    if ((await readFile(path, 'utf8').catch(() => undefined)) === text) continue;
    await writeAtomically(path, text);
    changed = true;
  }
  return changed;
}

/** Throws unless user nobody can reach `dir`: without that dnsmasq starts, but silently serves no names or fixed leases. */
async function checkSearchableByOthers(dir: string): Promise<void> {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const mode = (await stat(d)).mode;
    if ((mode & constants.S_IXOTH) === 0) {
      throw new Error(`dnsmasq runs as user nobody and cannot reach ${dir}: ${d} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}; let others search it (chmod o+x ${d})`);
    }
    if (d === dirname(d)) return;
  }
}

/**
 * Starts a network's dnsmasq with `argv` (from {@link dnsmasqArgv}) in the namespace of `exec`,
 * and returns its pid once it has daemonized and written `pidfile` (the `--pid-file` in argv).
 * Call only when {@link runningDnsmasq} finds none: a second one fails on the address in use.
 * The bridge must be up with the gateway address, and the hosts files written
 * ({@link writeLeases}). Throws with dnsmasq's own message when it cannot start.
 */
export async function startDnsmasq(exec: NetExec, argv: readonly string[], pidfile: string): Promise<number> {
  const networkId = dnsmasqNetworkOf(['dnsmasq', ...argv]);
  if (networkId === undefined) throw new RangeError('startDnsmasq needs the arguments dnsmasqArgv built');
  if (!argv.includes(`--pid-file=${resolve(pidfile)}`)) throw new RangeError(`the arguments write their pid elsewhere than ${pidfile}`);
  await checkSearchableByOthers(dirname(resolve(pidfile)));
  // dnsmasq's parent process exits only once the daemon has started (or failed, with the
  // reason on stderr and a non-zero exit), having written the pidfile.
  await exec.run('dnsmasq', argv, { timeoutMs: 30_000, env: { ...process.env, LC_ALL: 'C' } });
  const pid = runningDnsmasq(pidfile, networkId);
  if (pid === undefined) throw new Error(`dnsmasq for network ${networkId} exited after starting, or left no pid in ${pidfile}`);
  return pid;
}

/**
 * Returns the pid of the live dnsmasq serving network `networkId` whose pid is in `pidfile`, or
 * undefined when there is none: no pidfile, or its pid gone, a zombie, or not that network's
 * dnsmasq (pids are reused). Reads /proc synchronously; may be called at any time, also after a
 * daemon restart.
 */
export function runningDnsmasq(pidfile: string, networkId: string): number | undefined {
  const pid = readPidfile(pidfile);
  if (pid === undefined || processState(pid) !== 'alive') return undefined;
  const argv = processCmdline(pid);
  return argv !== undefined && isDnsmasqCmdlineOf(argv, networkId) ? pid : undefined;
}

/**
 * Tells dnsmasq `pid` to re-read its hosts files (SIGHUP), after {@link writeLeases}. Leases
 * already handed out stay valid. Throws when the process is gone.
 */
export function reloadDnsmasq(pid: number): void {
  process.kill(pid, 'SIGHUP');
}

function isHerdDnsmasq(pid: number): boolean {
  if (processState(pid) !== 'alive') return false;
  const argv = processCmdline(pid);
  return argv !== undefined && dnsmasqNetworkOf(argv) !== undefined;
}

/**
 * Stops dnsmasq `pid` (SIGTERM; SIGKILL after `timeoutMs`) and resolves once it has exited. An
 * exited process not yet reaped by init (a zombie) counts as stopped. Idempotent: a pid that is
 * gone, or is not a dnsmasq herd started (its pid reused), is left alone.
 */
export async function stopDnsmasq(pid: number, timeoutMs = 5_000): Promise<void> {
  if (!isHerdDnsmasq(pid)) return;
  signal(pid, 'SIGTERM');
  if (await exited(pid, timeoutMs)) return;
  signal(pid, 'SIGKILL');
  if (!(await exited(pid, 2_000))) throw new Error(`dnsmasq ${pid} did not exit after SIGKILL`);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if (!(e instanceof Error && 'code' in e && e.code === 'ESRCH')) throw e;
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processState(pid) === 'alive') {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * Lists the live dnsmasq processes herd started, with the network each serves, from /proc: for
 * orphan sweeps after a crash (a dnsmasq whose network is gone); with `under`, only those whose
 * files live below that directory. Reads /proc synchronously; may be called at any time.
 */
export function listDnsmasq(under?: string): RunningDnsmasq[] {
  const found: RunningDnsmasq[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[1-9][0-9]*$/.test(entry)) continue;
    const pid = Number(entry);
    const argv = processCmdline(pid);
    const networkId = argv && dnsmasqNetworkOf(argv);
    // Another herd daemon's dnsmasq (another data directory) is not ours to judge.
    if (under !== undefined && !argv?.some((a) => a.startsWith(`--pid-file=${under}/`))) continue;
    if (networkId !== undefined && processState(pid) === 'alive') found.push({ pid, networkId });
  }
  return found;
}
