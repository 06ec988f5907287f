import { describe, expect, it } from 'vitest';
import { schedulerConfig, type SchedulerConfig } from '../config.js';
import { contextFor } from '../context.js';
import type { Filter } from '../filter.js';
import { testHost, testVm } from '../testing/builders.js';
import type { HostState, VmRequest } from '../types.js';
import { accelFilter } from './accel.js';
import { affinityFilter } from './affinity.js';
import { antiAffinityFilter } from './anti-affinity.js';
import { capacityFilter } from './capacity.js';
import { labelsFilter } from './labels.js';
import { maintenanceFilter } from './maintenance.js';
import { networksFilter } from './networks.js';
import { poolFilter } from './pool.js';

/** What the filter says of the host: undefined when it passes, else its reason. */
function verdict(filter: Filter, host: HostState, vm: VmRequest, config: SchedulerConfig = schedulerConfig(), hosts: HostState[] = [host]): string | undefined {
  const ctx = contextFor(hosts, config);
  return filter.passes(host, vm, ctx) ? undefined : filter.reason(host, vm, ctx);
}

describe('capacity filter', () => {
  it('counts vCPUs against cores × the cpu ratio (4.0 by default)', () => {
    const host = testHost('h1', { cpus: 16, used: { vcpus: 61.5, memoryMiB: 0, diskGiB: 0 } });
    expect(verdict(capacityFilter, host, testVm('v', { vcpus: 2 }))).toBeUndefined();
    expect(verdict(capacityFilter, host, testVm('v', { vcpus: 4 }))).toBe('needs 4 vCPUs, has 2.5 free of 16×4.0');
  });

  it('takes a VM that exactly fills the host', () => {
    const host = testHost('h1', { used: { vcpus: 60, memoryMiB: 61440, diskGiB: 990 } });
    expect(verdict(capacityFilter, host, testVm('v', { vcpus: 4, memoryMiB: 4096, diskGiB: 10 }))).toBeUndefined();
  });

  it('names memory, then disk, when they are what is short', () => {
    const host = testHost('h1', { memoryMiB: 8192, diskGiB: 100, used: { vcpus: 0, memoryMiB: 7168, diskGiB: 95 } });
    expect(verdict(capacityFilter, host, testVm('v', { memoryMiB: 2048 }))).toBe('needs 2048 MiB memory, has 1024 MiB free of 8192×1.0');
    expect(verdict(capacityFilter, host, testVm('v', { memoryMiB: 512, diskGiB: 40 }))).toBe('needs 40 GiB disk, has 5 GiB free of 100×1.0');
  });

  it('uses the config ratios, and a host’s own ratio over them', () => {
    const config = schedulerConfig({ overcommit: { cpu: 2, memory: 1.5 } });
    const plain = testHost('plain', { cpus: 8, memoryMiB: 8192 });
    const strict = testHost('strict', { cpus: 8, memoryMiB: 8192, overcommit: { cpu: 1 } });
    const vm = testVm('v', { vcpus: 12, memoryMiB: 12288 });
    expect(verdict(capacityFilter, plain, vm, config)).toBeUndefined();
    // Only the cpu ratio is overridden: memory still gets the config's 1.5.
    expect(verdict(capacityFilter, strict, vm, config)).toBe('needs 12 vCPUs, has 8 free of 8×1.0');
    expect(verdict(capacityFilter, strict, testVm('v', { vcpus: 8, memoryMiB: 12288 }), config)).toBeUndefined();
  });

  it('says none free rather than a negative figure on a host past its capacity', () => {
    const host = testHost('h1', { cpus: 4, overcommit: { cpu: 1 }, used: { vcpus: 6, memoryMiB: 0, diskGiB: 0 } });
    expect(verdict(capacityFilter, host, testVm('v'))).toBe('needs 1 vCPU, has 0 free of 4×1.0');
  });
});

describe('host property filters', () => {
  it('maintenance rejects a host in maintenance', () => {
    expect(verdict(maintenanceFilter, testHost('h1'), testVm('v'))).toBeUndefined();
    expect(verdict(maintenanceFilter, testHost('h1', { maintenance: true }), testVm('v'))).toBe('host is in maintenance');
  });

  it('labels: every selector pair must match, and the reason names the first that does not', () => {
    const host = testHost('h1', { labels: { zone: 'a', disk: 'ssd' } });
    expect(labelsFilter.appliesTo!(testVm('v'))).toBe(false);
    expect(verdict(labelsFilter, host, testVm('v', { selector: { zone: 'a', disk: 'ssd' } }))).toBeUndefined();
    expect(verdict(labelsFilter, host, testVm('v', { selector: { zone: 'b' } }))).toBe('wants zone=b, host has zone=a');
    expect(verdict(labelsFilter, host, testVm('v', { selector: { zone: 'a', gpu: 'true' } }))).toBe('wants gpu=true, host has no gpu label');
  });

  it('accel: a KVM VM needs a KVM host; a TCG VM runs anywhere', () => {
    expect(verdict(accelFilter, testHost('h1', { accel: 'tcg' }), testVm('v', { accel: 'kvm' }))).toBe('needs KVM, host has only TCG');
    expect(verdict(accelFilter, testHost('h1', { accel: 'kvm' }), testVm('v', { accel: 'kvm' }))).toBeUndefined();
    expect(accelFilter.appliesTo!(testVm('v', { accel: 'tcg' }))).toBe(false);
  });

  it('pool: the host must reach the VM’s pool', () => {
    const host = testHost('h1', { pools: ['local', 'ceph'] });
    expect(verdict(poolFilter, host, testVm('v', { pool: 'ceph' }))).toBeUndefined();
    expect(verdict(poolFilter, host, testVm('v', { pool: 'nfs' }))).toBe('cannot reach pool nfs');
  });

  it('networks: the host must have them all, and the reason lists every one missing', () => {
    const host = testHost('h1', { networks: ['default', 'prod'] });
    expect(verdict(networksFilter, host, testVm('v', { networks: ['prod', 'default'] }))).toBeUndefined();
    expect(verdict(networksFilter, host, testVm('v', { networks: ['prod', 'dmz'] }))).toBe('lacks network dmz');
    expect(verdict(networksFilter, host, testVm('v', { networks: ['dmz', 'prod', 'vx1'] }))).toBe('lacks networks dmz, vx1');
    expect(networksFilter.appliesTo!(testVm('v', { networks: [] }))).toBe(false);
  });
});

describe('group filters', () => {
  const db = { name: 'db', policy: 'anti-affinity', hard: true } as const;

  it('hard anti-affinity: at most maxPerHost members per host, 1 by default', () => {
    const one = testHost('h1', { groups: { db: 1 } });
    expect(verdict(antiAffinityFilter, testHost('h0'), testVm('v', { groups: [db] }))).toBeUndefined();
    expect(verdict(antiAffinityFilter, one, testVm('v', { groups: [db] }))).toBe('group db already has 1 of max 1 here');
    expect(verdict(antiAffinityFilter, one, testVm('v', { groups: [{ ...db, maxPerHost: 2 }] }))).toBeUndefined();
    expect(verdict(antiAffinityFilter, testHost('h2', { groups: { db: 2 } }), testVm('v', { groups: [{ ...db, maxPerHost: 2 }] }))).toBe('group db already has 2 of max 2 here');
  });

  it('hard anti-affinity ignores soft groups and affinity groups', () => {
    const host = testHost('h1', { groups: { db: 3 } });
    expect(antiAffinityFilter.appliesTo!(testVm('v', { groups: [{ ...db, hard: false }] }))).toBe(false);
    expect(antiAffinityFilter.appliesTo!(testVm('v', { groups: [{ ...db, policy: 'affinity' }] }))).toBe(false);
    expect(verdict(antiAffinityFilter, host, testVm('v', { groups: [{ ...db, hard: false }, { name: 'web', policy: 'anti-affinity', hard: true }] }))).toBeUndefined();
  });

  it('hard affinity: the first member goes anywhere, the next only where members are', () => {
    const pair = { name: 'pair', policy: 'affinity', hard: true } as const;
    const empty = [testHost('h1'), testHost('h2')];
    expect(verdict(affinityFilter, empty[1]!, testVm('v', { groups: [pair] }), undefined, empty)).toBeUndefined();
    const placed = [testHost('h1', { groups: { pair: 1 } }), testHost('h2'), testHost('h3', { groups: { pair: 1 } })];
    expect(verdict(affinityFilter, placed[0]!, testVm('v', { groups: [pair] }), undefined, placed)).toBeUndefined();
    expect(verdict(affinityFilter, placed[1]!, testVm('v', { groups: [pair] }), undefined, placed)).toBe('group pair has 2 members on other hosts, none here');
  });
});
