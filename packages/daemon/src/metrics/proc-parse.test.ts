import { describe, expect, it } from 'vitest';
import { parseHostCpu, parseLoadavg, parseMeminfo, parseProcCpuTimes, parseStatusRss, vcpuIndexOf } from './proc-parse.js';

// Captured from a QEMU 7.2 TCG guest (`-name tiny,debug-threads=on`) and its host.
const qemuStat =
  '14212 (qemu-system-x86) S 1 14211 14211 0 -1 4194624 31052 0 0 0 1873 412 0 0 20 0 5 0 301234 1402318848 33571 18446744073709551615 1 1 0 0 0 0 0 4096 17635 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';
const vcpuStat = '14215 (CPU 0/TCG) R 1 14211 14211 0 -1 4194368 120 0 0 0 1790 37 0 0 20 0 5 0 301240 1402318848 33571 18446744073709551615 1 1 0 0 0 0 0 4096 17635 0 0 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0';

describe('/proc parsers', () => {
  it('reads utime+stime and start time of a process', () => {
    expect(parseProcCpuTimes(qemuStat)).toEqual({ comm: 'qemu-system-x86', ticks: 1873 + 412, startTime: 301234, rssPages: 33571 });
  });

  it('reads a vCPU thread whose name has a space and a slash', () => {
    const t = parseProcCpuTimes(vcpuStat)!;
    expect(t).toEqual({ comm: 'CPU 0/TCG', ticks: 1827, startTime: 301240, rssPages: 33571 });
    expect(vcpuIndexOf(t.comm)).toBe(0);
  });

  it('counts fields after the last parenthesis, whatever the name holds', () => {
    const tricky = '7 (a) b) (c) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99 0 12 0';
    expect(parseProcCpuTimes(tricky)).toEqual({ comm: 'a) b) (c', ticks: 11, startTime: 99, rssPages: 12 });
  });

  it('refuses truncated or empty text', () => {
    expect(parseProcCpuTimes('')).toBeUndefined();
    expect(parseProcCpuTimes('12 (x) S 1 2 3')).toBeUndefined();
  });

  it('knows vCPU threads by QEMU’s names and nothing else', () => {
    expect(vcpuIndexOf('CPU 12/KVM')).toBe(12);
    expect(vcpuIndexOf('CPU 3/TCG')).toBe(3);
    expect(vcpuIndexOf('qemu-system-x86')).toBeUndefined();
    expect(vcpuIndexOf('call_rcu')).toBeUndefined();
    expect(vcpuIndexOf('worker')).toBeUndefined();
  });

  it('reads VmRSS from status, and nothing from a zombie', () => {
    expect(parseStatusRss('Name:\tqemu\nVmPeak:\t  999 kB\nVmRSS:\t  134284 kB\nRssAnon:\t 1 kB\n')).toBe(134284 * 1024);
    expect(parseStatusRss('Name:\tqemu\nState:\tZ (zombie)\n')).toBeUndefined();
  });

  it('reads host CPU time, leaving guest time out (it is inside user)', () => {
    const t = parseHostCpu('cpu  213319 10 69132 313748 976 5 2658 7 500 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n')!;
    expect(t.total).toBe(213319 + 10 + 69132 + 313748 + 976 + 5 + 2658 + 7);
    expect(t.busy).toBe(t.total - 313748 - 976);
    expect(parseHostCpu('intr 1 2 3')).toBeUndefined();
  });

  it('reads total and available memory', () => {
    const m = parseMeminfo('MemTotal:       24579856 kB\nMemFree:        22000000 kB\nMemAvailable:   23000000 kB\n');
    expect(m).toEqual({ totalBytes: 24579856 * 1024, availableBytes: 23000000 * 1024 });
    expect(parseMeminfo('MemTotal: 1 kB\n')).toBeUndefined();
  });

  it('reads load averages', () => {
    expect(parseLoadavg('0.52 1.07 0.98 2/345 14212\n')).toEqual([0.52, 1.07, 0.98]);
    expect(parseLoadavg('garbage')).toBeUndefined();
  });
});
