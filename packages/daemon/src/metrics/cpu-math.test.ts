import { describe, expect, it } from 'vitest';
import { cpuPercent, hostCpuPercent, ratePerSecond } from './cpu-math.js';

describe('CPU arithmetic', () => {
  it('turns tick deltas into percent of one CPU', () => {
    // 100 ticks = 1 s of CPU in 1 s of wall time: one CPU fully busy.
    expect(cpuPercent(1000, 1100, 1000)).toBe(100);
    expect(cpuPercent(1000, 1050, 1000)).toBe(50);
    // Two busy vCPUs over 10 s.
    expect(cpuPercent(0, 2000, 10_000)).toBe(200);
    expect(cpuPercent(5, 5, 10_000)).toBe(0);
  });

  it('gives nothing for a counter that went back (another process) or no interval', () => {
    expect(cpuPercent(1000, 10, 1000)).toBeUndefined();
    expect(cpuPercent(1, 2, 0)).toBeUndefined();
  });

  it('computes host CPU as busy share of all time, clamped to 0..100', () => {
    expect(hostCpuPercent({ busy: 100, total: 1000 }, { busy: 150, total: 1200 })).toBe(25);
    expect(hostCpuPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBeUndefined();
  });

  it('computes per-second rates of cumulative counters', () => {
    expect(ratePerSecond(0, 4096, 2000)).toBe(2048);
    expect(ratePerSecond(10, 5, 1000)).toBeUndefined();
  });
});
