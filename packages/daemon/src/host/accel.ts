/**
 * Choosing between KVM and TCG for this host. /dev/kvm existing is not enough: inside some
 * nested or containerized hosts it opens but a VM hangs, so KVM is chosen only after a short probe
 * VM has actually answered on QMP with KVM enabled and its vCPU responsive. Facts are gathered by
 * I/O; the decision ({@link decideAccel}) and the probe transcript reading ({@link interpretProbe})
 * are pure so they can be unit-tested.
 */
import { open, readFile } from 'node:fs/promises';
import { Value } from '@sinclair/typebox/value';
import { QEMU_BINARY } from '../qemu/build-argv.js';
import { LineSplitter } from '../qemu/qmp-framing.js';
import { KvmInfoSchema, QmpErrorReplySchema, QmpGreetingSchema, QmpReturnSchema } from '../qemu/qmp-messages.js';
import { run } from './exec.js';

/** The accelerator to use and, for people, why. */
export interface AccelDecision {
  readonly accel: 'kvm' | 'tcg';
  readonly reason: string;
}

/** Result of trying to open /dev/kvm read-write. */
export type KvmDeviceCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'absent' | 'permission' | 'other'; readonly detail: string };

/** Result of the probe VM. */
export type KvmProbeOutcome =
  | { readonly kind: 'completed'; readonly kvmEnabled: boolean; readonly vcpuResponded: boolean }
  /** `stage` is the last step QEMU got through, to tell "hung creating the VM" from "hung running it". */
  | { readonly kind: 'timeout'; readonly timeoutMs: number; readonly stage: 'start' | 'qmp' | 'kvm-enabled' }
  | { readonly kind: 'failed'; readonly detail: string };

/** Everything {@link decideAccel} needs; `probe` is absent when an earlier check already failed. */
export interface AccelFacts {
  readonly device: KvmDeviceCheck;
  readonly cpuVirtFlags: boolean;
  readonly probe?: KvmProbeOutcome;
}

/** Default budget for the probe VM to start and answer. */
export const KVM_PROBE_TIMEOUT_MS = 3_000;

/** Decides KVM or TCG from gathered facts, with a reason an operator can act on. Pure. */
export function decideAccel(facts: AccelFacts): AccelDecision {
  const tcg = (reason: string): AccelDecision => ({ accel: 'tcg', reason });
  const { device, probe } = facts;
  if (!device.ok) {
    if (device.why === 'absent') return tcg('/dev/kvm not present (KVM module not loaded, or not passed into this container)');
    if (device.why === 'permission') return tcg(`/dev/kvm cannot be opened read-write by this user (${device.detail})`);
    return tcg(`/dev/kvm cannot be opened: ${device.detail}`);
  }
  if (!facts.cpuVirtFlags) return tcg('CPU lacks vmx/svm flags (nested KVM not usable)');
  if (!probe) return tcg('KVM probe was not run');
  switch (probe.kind) {
    case 'timeout': {
      const where = { start: 'before QMP answered', qmp: 'before KVM was confirmed', 'kvm-enabled': 'waiting for its vCPU' }[probe.stage];
      return tcg(`KVM probe timed out after ${probe.timeoutMs} ms ${where} (/dev/kvm exists but a VM does not run; nested KVM may be broken)`);
    }
    case 'failed':
      return tcg(`KVM probe failed: ${probe.detail}`);
    case 'completed':
      if (!probe.kvmEnabled) return tcg('KVM probe: QEMU started but did not enable KVM');
      if (!probe.vcpuResponded) return tcg('KVM probe: the vCPU did not respond');
      return { accel: 'kvm', reason: 'KVM usable (/dev/kvm opened, CPU has vmx/svm, probe VM ran)' };
  }
}

/** Reports whether /proc/cpuinfo text lists the vmx (Intel) or svm (AMD) flag. Pure. */
export function cpuHasVirtFlags(cpuinfo: string): boolean {
  return cpuinfo.split('\n').some((line) => /^flags\s*:/.test(line) && /\s(vmx|svm)(\s|$)/.test(line));
}

/** QMP commands piped into the probe VM; ids tie replies to steps. */
const PROBE_INPUT = [
  { execute: 'qmp_capabilities', id: 1 },
  { execute: 'query-kvm', id: 2 },
  { execute: 'cont', id: 3 },
  // Reading registers has to interrupt the running vCPU: this only answers if KVM_RUN returns.
  { execute: 'human-monitor-command', arguments: { 'command-line': 'info registers' }, id: 4 },
  { execute: 'quit', id: 5 },
].map((c) => `${JSON.stringify(c)}\n`).join('');

/** What the probe QEMU printed, and how it ended. */
export interface ProbeTranscript {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
  readonly timedOut: boolean;
  readonly timeoutMs: number;
}

/** Reads a probe VM's QMP transcript (stdout) into an outcome. Pure. */
export function interpretProbe(t: ProbeTranscript): KvmProbeOutcome {
  let greeted = false;
  let kvmEnabled: boolean | undefined;
  let vcpuResponded = false;
  for (const line of new LineSplitter().push(`${t.stdout}\n`)) {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      continue; // not QMP (QEMU may print warnings); the outcome below is what matters
    }
    if (Value.Check(QmpGreetingSchema, msg)) greeted = true;
    else if (Value.Check(QmpReturnSchema, msg) && msg.id === 2 && Value.Check(KvmInfoSchema, msg.return)) kvmEnabled = msg.return.enabled;
    else if ((Value.Check(QmpReturnSchema, msg) || Value.Check(QmpErrorReplySchema, msg)) && msg.id === 4) vcpuResponded = true;
  }
  if (kvmEnabled !== undefined && (vcpuResponded || !kvmEnabled)) return { kind: 'completed', kvmEnabled, vcpuResponded };
  if (t.timedOut) {
    return { kind: 'timeout', timeoutMs: t.timeoutMs, stage: kvmEnabled ? 'kvm-enabled' : greeted ? 'qmp' : 'start' };
  }
  const detail = t.stderr.trim() || `QEMU exited with code ${t.code} before answering`;
  return kvmEnabled === undefined ? { kind: 'failed', detail } : { kind: 'completed', kvmEnabled, vcpuResponded };
}

/**
 * Starts a throwaway QEMU with `accel` (`-S`, no devices, QMP on stdio), asks it whether KVM is
 * enabled, lets its vCPU run and reads its registers, then quits; killed after `timeoutMs`.
 * `accel: 'tcg'` exercises the same path on hosts without KVM (tests). May be called at any time;
 * takes ~0.1-0.5 s when it works.
 */
export async function probeAccel(accel: 'kvm' | 'tcg', timeoutMs = KVM_PROBE_TIMEOUT_MS): Promise<KvmProbeOutcome> {
  const args = ['-accel', accel, '-machine', 'pc', '-cpu', accel === 'kvm' ? 'host' : 'max', '-m', '64'];
  args.push('-nodefaults', '-no-user-config', '-display', 'none', '-S', '-qmp', 'stdio');
  const started = Date.now();
  const finished = run(QEMU_BINARY, args, { input: PROBE_INPUT, timeoutMs, allowFailure: true }).then(
    (r) => {
      const timedOut = r.code !== 0 && Date.now() - started >= timeoutMs;
      return interpretProbe({ ...r, timedOut, timeoutMs });
    },
    // run() rejects despite allowFailure only when QEMU could not be started at all.
    (e: unknown): KvmProbeOutcome => ({ kind: 'failed', detail: e instanceof Error ? e.message : String(e) }),
  );
  // A QEMU stuck inside a KVM ioctl may not die from SIGKILL until the ioctl returns, so run()
  // may never settle; stop waiting for it shortly after its own timeout.
  const stuck = new Promise<KvmProbeOutcome>((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'timeout', timeoutMs, stage: 'start' }), timeoutMs + 1_000);
    void finished.finally(() => clearTimeout(timer));
  });
  return Promise.race([finished, stuck]);
}

/** Tries to open /dev/kvm read-write (and closes it). Gives up after 1 s on a hung device. */
export async function checkKvmDevice(path = '/dev/kvm'): Promise<KvmDeviceCheck> {
  const attempt = open(path, 'r+').then(
    async (fh): Promise<KvmDeviceCheck> => {
      await fh.close();
      return { ok: true };
    },
    (e: unknown): KvmDeviceCheck => {
      const code = e instanceof Error && 'code' in e ? e.code : undefined;
      const detail = e instanceof Error ? e.message : String(e);
      if (code === 'ENOENT') return { ok: false, why: 'absent', detail };
      if (code === 'EACCES' || code === 'EPERM') return { ok: false, why: 'permission', detail };
      return { ok: false, why: 'other', detail };
    },
  );
  const hung = new Promise<KvmDeviceCheck>((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, why: 'other', detail: 'opening it did not return within 1 s' }), 1_000);
    void attempt.finally(() => clearTimeout(timer));
  });
  return Promise.race([attempt, hung]);
}

/**
 * Detects whether this host can run VMs with KVM, falling back to TCG with a reason. Call once
 * at daemon start (it may take up to ~4 s when KVM is present but broken); no probe VM is started
 * when /dev/kvm or the CPU flags already rule KVM out.
 */
export async function detectAccel(options: { readonly probeTimeoutMs?: number } = {}): Promise<AccelDecision> {
  const [device, cpuinfo] = await Promise.all([checkKvmDevice(), readFile('/proc/cpuinfo', 'utf8').catch(() => '')]);
  const cpuVirtFlags = cpuHasVirtFlags(cpuinfo);
  if (!device.ok || !cpuVirtFlags) return decideAccel({ device, cpuVirtFlags });
  const probe = await probeAccel('kvm', options.probeTimeoutMs ?? KVM_PROBE_TIMEOUT_MS);
  return decideAccel({ device, cpuVirtFlags, probe });
}
