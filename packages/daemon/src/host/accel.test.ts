import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkKvmDevice, cpuHasVirtFlags, decideAccel, detectAccel, interpretProbe, probeAccel } from './accel.js';
import type { ProbeTranscript } from './accel.js';

const ok = { ok: true } as const;

describe('decideAccel', () => {
  it('chooses KVM only when the device opens, the CPU has vmx/svm and the probe VM ran', () => {
    const d = decideAccel({ device: ok, cpuVirtFlags: true, probe: { kind: 'completed', kvmEnabled: true, vcpuResponded: true } });
    expect(d.accel).toBe('kvm');
  });

  it('explains each reason to fall back to TCG', () => {
    const cases: [Parameters<typeof decideAccel>[0], RegExp][] = [
      [{ device: { ok: false, why: 'absent', detail: 'ENOENT' }, cpuVirtFlags: true }, /\/dev\/kvm not present/],
      [{ device: { ok: false, why: 'permission', detail: 'EACCES' }, cpuVirtFlags: true }, /read-write by this user/],
      [{ device: ok, cpuVirtFlags: false }, /CPU lacks vmx\/svm flags/],
      [{ device: ok, cpuVirtFlags: true, probe: { kind: 'timeout', timeoutMs: 3000, stage: 'kvm-enabled' } }, /KVM probe timed out after 3000 ms waiting for its vCPU/],
      [{ device: ok, cpuVirtFlags: true, probe: { kind: 'failed', detail: 'failed to initialize kvm' } }, /KVM probe failed: failed to initialize kvm/],
      [{ device: ok, cpuVirtFlags: true, probe: { kind: 'completed', kvmEnabled: false, vcpuResponded: true } }, /did not enable KVM/],
      [{ device: ok, cpuVirtFlags: true, probe: { kind: 'completed', kvmEnabled: true, vcpuResponded: false } }, /vCPU did not respond/],
    ];
    for (const [facts, reason] of cases) {
      const d = decideAccel(facts);
      expect(d.accel).toBe('tcg');
      expect(d.reason).toMatch(reason);
    }
  });
});

describe('cpuHasVirtFlags', () => {
  it('finds vmx or svm as whole words on a flags line only', () => {
    expect(cpuHasVirtFlags('processor\t: 0\nflags\t\t: fpu vme vmx sse\n')).toBe(true);
    expect(cpuHasVirtFlags('flags\t\t: fpu svm\n')).toBe(true);
    expect(cpuHasVirtFlags('flags\t\t: fpu vmxfoo sse\nvmx flags\t: ept\n')).toBe(false);
    expect(cpuHasVirtFlags('')).toBe(false);
  });
});

describe('interpretProbe', () => {
  const greeting = '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}';
  const base: ProbeTranscript = { stdout: '', stderr: '', code: 0, timedOut: false, timeoutMs: 3000 };

  it('reads a completed KVM run', () => {
    const stdout = [greeting, '{"return": {}, "id": 1}', '{"return": {"enabled": true, "present": true}, "id": 2}',
      '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"}', '{"return": {}, "id": 3}',
      '{"return": "EIP=000f1234", "id": 4}', '{"return": {}, "id": 5}'].join('\r\n');
    expect(interpretProbe({ ...base, stdout })).toEqual({ kind: 'completed', kvmEnabled: true, vcpuResponded: true });
  });

  it('tells where a hung probe got stuck', () => {
    expect(interpretProbe({ ...base, code: -1, timedOut: true })).toMatchObject({ kind: 'timeout', stage: 'start' });
    expect(interpretProbe({ ...base, code: -1, timedOut: true, stdout: greeting })).toMatchObject({ stage: 'qmp' });
    const enabled = `${greeting}\n{"return": {"enabled": true, "present": true}, "id": 2}\n`;
    expect(interpretProbe({ ...base, code: -1, timedOut: true, stdout: enabled })).toMatchObject({ stage: 'kvm-enabled' });
  });

  it('reports QEMU’s stderr when it fails to start', () => {
    const stderr = 'Could not access KVM kernel module: No such file or directory\nqemu-system-x86_64: failed to initialize kvm: No such file or directory\n';
    expect(interpretProbe({ ...base, code: 1, stderr })).toEqual({ kind: 'failed', detail: stderr.trim() });
  });
});

describe('probeAccel against real QEMU', () => {
  it('runs the whole probe under TCG: QMP answers, KVM reported disabled, vCPU responds', async () => {
    expect(await probeAccel('tcg')).toEqual({ kind: 'completed', kvmEnabled: false, vcpuResponded: true });
  });

  it('fails with QEMU’s own message when KVM cannot be initialized', async () => {
    const outcome = await probeAccel('kvm');
    if (outcome.kind === 'completed') return; // a host with working KVM
    expect(outcome).toMatchObject({ kind: 'failed', detail: expect.stringMatching(/kvm/i) });
  });
});

describe('detectAccel on this host', () => {
  it('reports a missing device as absent', async () => {
    expect(await checkKvmDevice('/nonexistent/kvm')).toMatchObject({ ok: false, why: 'absent' });
  });

  it.runIf(!existsSync('/dev/kvm'))('falls back to TCG without starting a probe when /dev/kvm is absent', async () => {
    const started = Date.now();
    expect(await detectAccel()).toEqual({ accel: 'tcg', reason: expect.stringMatching(/^\/dev\/kvm not present/) });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
