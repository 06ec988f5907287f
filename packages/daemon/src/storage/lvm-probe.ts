/**
 * Whether this host can hold `lvm-thin` pools: the LVM tools are installed, the daemon is root,
 * and the kernel has device-mapper with the `thin-pool` and `thin` targets. Containers and
 * minimal VM kernels often lack device-mapper, and LVM's own words for that do not say what to
 * do:
 *
 *     $ dmsetup targets
 *     /dev/mapper/control: open failed: No such device
 *     Failure to communicate with kernel device-mapper driver.
 *     Incompatible libdevmapper 1.02.185 (2022-05-18) and kernel driver (unknown version).
 *
 * so the probe gives a reason an operator can act on. Facts are gathered by I/O; the decision
 * ({@link decideLvmThin}) and the reading of `dmsetup targets` ({@link parseDmTargets}) are pure.
 */
import { commandExists, run } from '../host/exec.js';

/** Whether lvm-thin pools can be used on this host and, when not, why. */
export type LvmThinProbe = { readonly usable: true } | { readonly usable: false; readonly reason: string };

/** Outcome of a command the probe ran: ok, or failed with its first line of complaint. */
export type ProbeStep = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/** Everything {@link decideLvmThin} needs; later facts are absent when an earlier one already rules lvm-thin out. */
export interface LvmThinFacts {
  /** LVM programs herd runs that are not on PATH. */
  readonly missingLvmTools: readonly string[];
  /** LVM runs `thin_check` (thin-provisioning-tools) before it activates a thin pool. */
  readonly thinCheck: boolean;
  readonly root: boolean;
  /** Targets `dmsetup targets` listed, or why it failed; read after any modprobe. */
  readonly targets?: { readonly ok: true; readonly names: readonly string[] } | { readonly ok: false; readonly detail: string };
  /** Present when dm_thin_pool was not loaded and loading it was tried. */
  readonly modprobe?: ProbeStep;
}

/** Programs from lvm2 (and dmsetup, which it depends on) that herd runs. */
const LVM_TOOLS = ['lvcreate', 'lvs', 'vgs', 'lvextend', 'lvremove', 'lvchange', 'dmsetup'] as const;

const STEP_TIMEOUT_MS = 10_000;

/** Decides whether lvm-thin pools are usable from gathered facts, with a reason an operator can act on. Pure. */
export function decideLvmThin(facts: LvmThinFacts): LvmThinProbe {
  const no = (reason: string): LvmThinProbe => ({ usable: false, reason });
  if (facts.missingLvmTools.length) return no(`lvm2 is not installed (${facts.missingLvmTools.join(', ')} not found): apt install lvm2 thin-provisioning-tools`);
  if (!facts.thinCheck) return no('thin-provisioning-tools is not installed (LVM runs thin_check before activating a thin pool): apt install thin-provisioning-tools');
  if (!facts.root) return no('lvm-thin pools need the daemon to run as root (LVM creates device-mapper devices)');
  const { targets, modprobe } = facts;
  if (!targets) return no('device-mapper targets were not checked');
  const loading = !modprobe ? '' : modprobe.ok ? 'dm_thin_pool loaded, yet no target appeared' : `modprobe dm_thin_pool failed: ${modprobe.detail}`;
  if (!targets.ok) {
    return no(`the kernel has no device-mapper (dmsetup targets: ${targets.detail}${loading ? `; ${loading}` : ''}); lvm-thin pools cannot be used on this host`);
  }
  const missing = ['thin-pool', 'thin'].filter((t) => !targets.names.includes(t));
  if (missing.length) {
    return no(`the kernel has no device-mapper ${missing.join(' or ')} target${loading ? ` (${loading})` : ''}; lvm-thin pools cannot be used on this host`);
  }
  return { usable: true };
}

/** The target names in `dmsetup targets` output (`thin-pool        v1.23.0` per line). Pure. */
export function parseDmTargets(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/**
 * Checks whether this host can hold lvm-thin pools. May be called at any time (pool creation,
 * tests); takes well under a second. When device-mapper lacks the thin targets it loads
 * dm_thin_pool (as `lvcreate` itself would) before giving up.
 */
export async function probeLvmThin(): Promise<LvmThinProbe> {
  const found = await Promise.all([...LVM_TOOLS, 'thin_check'].map(async (t) => [t, await commandExists(t)] as const));
  const missingLvmTools = found.filter(([t, ok]) => !ok && t !== 'thin_check').map(([t]) => t);
  const thinCheck = found.some(([t, ok]) => t === 'thin_check' && ok);
  const host = { missingLvmTools, thinCheck, root: process.getuid?.() === 0 };
  if (missingLvmTools.length || !thinCheck || !host.root) return decideLvmThin(host);

  let targets = await dmTargets();
  if (targets.ok && targets.names.includes('thin-pool') && targets.names.includes('thin')) return { usable: true };
  // dm_thin_pool pulls in dm_mod too, so loading it can also bring up a missing device-mapper.
  const modprobe = await step('modprobe', ['dm_thin_pool']);
  if (modprobe.ok) targets = await dmTargets();
  return decideLvmThin({ ...host, targets, modprobe });
}

async function dmTargets(): Promise<NonNullable<LvmThinFacts['targets']>> {
  try {
    const r = await run('dmsetup', ['targets'], { timeoutMs: STEP_TIMEOUT_MS, allowFailure: true });
    if (r.code !== 0) return { ok: false, detail: complaint(r.stderr, r.code) };
    return { ok: true, names: parseDmTargets(r.stdout) };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

async function step(command: string, args: readonly string[]): Promise<ProbeStep> {
  try {
    const r = await run(command, args, { timeoutMs: STEP_TIMEOUT_MS, allowFailure: true });
    return r.code === 0 ? { ok: true } : { ok: false, detail: complaint(r.stderr, r.code) };
  } catch (e) {
    // run() rejects despite allowFailure only when the command could not be started.
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

/** The first line of stderr: device-mapper tools put the cause there and boilerplate after it. */
function complaint(stderr: string, code: number): string {
  return stderr.trim().split('\n')[0]?.trim() || `exit code ${code}`;
}
