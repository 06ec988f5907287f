import { describe, expect, it } from 'vitest';
import { defaultSchedulerConfig, schedulerConfig, type SchedulerConfig } from '../config.js';
import { contextFor } from '../context.js';
import { testHost, testVm } from '../testing/builders.js';
import type { HostState, VmRequest } from '../types.js';
import type { Weigher } from '../weigher.js';
import { loadWeigher } from './load.js';
import { packWeigher } from './pack.js';
import { softAffinityWeigher } from './soft-affinity.js';
import { softAntiAffinityWeigher } from './soft-anti-affinity.js';
import { spreadWeigher } from './spread.js';
import { weighersFor } from './weighers-for.js';

const scoreOf = (w: Weigher, host: HostState, vm: VmRequest = testVm('v'), config: SchedulerConfig = defaultSchedulerConfig, hosts = [host]) =>
  w.score(host, vm, contextFor(hosts, config));
const used = (vcpus: number, memoryMiB: number, diskGiB: number) => ({ used: { vcpus, memoryMiB, diskGiB } });

describe('spread and pack', () => {
  it('spread scores the unclaimed share of the scarcest resource', () => {
    expect(scoreOf(spreadWeigher, testHost('empty'))).toBe(1);
    // 64 vCPUs (16 × 4.0) a quarter claimed, memory three quarters claimed, disk a tenth.
    expect(scoreOf(spreadWeigher, testHost('h', used(16, 49152, 100)))).toBe(0.25);
    expect(scoreOf(spreadWeigher, testHost('full', used(0, 65536, 0)))).toBe(0);
  });

  it('pack scores the claimed share, 1 − spread', () => {
    const host = testHost('h', used(16, 49152, 100));
    expect(scoreOf(packWeigher, host)).toBe(0.75);
    expect(scoreOf(packWeigher, testHost('empty'))).toBe(0);
  });

  it('count each resource against its overcommitted capacity, the host’s ratio first', () => {
    const host = testHost('h', { cpus: 8, ...used(16, 0, 0) });
    expect(scoreOf(spreadWeigher, host)).toBe(0.5); // 16 of 8 × 4.0
    expect(scoreOf(spreadWeigher, { ...host, overcommit: { cpu: 8 } })).toBe(0.75); // 16 of 8 × 8.0
    expect(scoreOf(spreadWeigher, host, undefined, schedulerConfig({ overcommit: { cpu: 2 } }))).toBe(0);
  });

  it('bound their score by their ceiling (here equal: they read the host only)', () => {
    const host = testHost('h', used(3, 1000, 10));
    const ctx = contextFor([host], defaultSchedulerConfig);
    for (const w of [spreadWeigher, packWeigher]) expect(w.ceiling!(host, ctx)).toBe(w.score(host, testVm('big', { vcpus: 32 }), ctx));
  });

  it('weighersFor picks spread or pack by strategy', () => {
    expect(weighersFor(defaultSchedulerConfig).map((w) => w.name)).toEqual(['spread', 'load', 'soft-affinity', 'soft-anti-affinity']);
    expect(weighersFor(schedulerConfig({ strategy: 'pack' }))[0]!.name).toBe('pack');
  });
});

describe('load', () => {
  it('scores the idle share of the CPU, and unknownLoad for a host without metrics', () => {
    expect(scoreOf(loadWeigher, testHost('h', { load: { cpu: 0.2 } }))).toBeCloseTo(0.8);
    expect(scoreOf(loadWeigher, testHost('h'))).toBe(0.5);
    expect(scoreOf(loadWeigher, testHost('h'), undefined, schedulerConfig({ unknownLoad: 1 }))).toBe(0);
    expect(scoreOf(loadWeigher, testHost('h', { load: { cpu: 1.7 } }))).toBe(0);
    expect(scoreOf(loadWeigher, testHost('h', { load: { cpu: Number.NaN } }))).toBe(0.5);
  });
});

describe('soft groups', () => {
  const web = { name: 'web', policy: 'anti-affinity', hard: false } as const;
  const cache = { name: 'cache', policy: 'affinity', hard: false } as const;

  it('apply only to VMs in soft groups of their policy', () => {
    expect(softAntiAffinityWeigher.appliesTo!(testVm('v', { groups: [web] }))).toBe(true);
    expect(softAntiAffinityWeigher.appliesTo!(testVm('v', { groups: [{ ...web, hard: true }] }))).toBe(false);
    expect(softAffinityWeigher.appliesTo!(testVm('v', { groups: [web] }))).toBe(false);
  });

  it('soft anti-affinity: 1 within maxPerHost, 1/(1+k) k members past it', () => {
    const vm = testVm('v', { groups: [web] });
    expect(scoreOf(softAntiAffinityWeigher, testHost('h'), vm)).toBe(1);
    expect(scoreOf(softAntiAffinityWeigher, testHost('h', { groups: { web: 1 } }), vm)).toBe(0.5);
    expect(scoreOf(softAntiAffinityWeigher, testHost('h', { groups: { web: 2 } }), vm)).toBeCloseTo(1 / 3);
    expect(scoreOf(softAntiAffinityWeigher, testHost('h', { groups: { web: 1 } }), testVm('v', { groups: [{ ...web, maxPerHost: 2 }] }))).toBe(1);
  });

  it('soft affinity: the share of the group’s members the host holds', () => {
    const hosts = [testHost('a', { groups: { cache: 3 } }), testHost('b', { groups: { cache: 1 } }), testHost('c')];
    const vm = testVm('v', { groups: [cache] });
    expect(hosts.map((h) => scoreOf(softAffinityWeigher, h, vm, undefined, hosts))).toEqual([0.75, 0.25, 0]);
    expect(scoreOf(softAffinityWeigher, testHost('lone'), vm)).toBe(0);
  });
});

describe('schedulerConfig', () => {
  it('fills in defaults and refuses what cannot work', () => {
    expect(schedulerConfig({ weights: { load: 0 } })).toMatchObject({ strategy: 'spread', overcommit: { cpu: 4, memory: 1, disk: 1 }, weights: { resources: 1, load: 0 } });
    expect(() => schedulerConfig({ weights: { load: -1 } })).toThrow('weights.load must be 0 or more, not -1');
    expect(() => schedulerConfig({ overcommit: { memory: 0 } })).toThrow('overcommit.memory must be above 0');
    expect(() => schedulerConfig({ unknownLoad: 2 })).toThrow('unknownLoad must be within 0..1');
  });
});
