import { describe, expect, it } from 'vitest';
import { schedulerConfig } from './config.js';
import { explain } from './explain.js';
import { place } from './place.js';
import { testHost, testVm } from './testing/builders.js';

describe('explain', () => {
  const hosts = [
    testHost('h1', { maintenance: true }),
    testHost('h2', { used: { vcpus: 32, memoryMiB: 32768, diskGiB: 0 }, load: { cpu: 0.5 } }),
    testHost('h3', { load: { cpu: 0.25 } }),
    testHost('h4', { accel: 'tcg' }),
  ];

  it('gives the chosen host, then every host: scored ones best first, rejected ones by name', () => {
    const e = explain(hosts, testVm('web1', { accel: 'kvm' }));
    expect(e).toEqual({
      vm: 'web1',
      chosen: 'h3',
      hosts: [
        { host: 'h3', scores: { spread: 1, load: 0.75 }, weights: { spread: 1, load: 0.75 }, score: 1.75 },
        { host: 'h2', scores: { spread: 0.5, load: 0.5 }, weights: { spread: 0.5, load: 0.5 }, score: 1 },
        { host: 'h1', rejectedBy: { filter: 'maintenance', reason: 'host is in maintenance' } },
        { host: 'h4', rejectedBy: { filter: 'accel', reason: 'needs KVM, host has only TCG' } },
      ],
    });
    expect(place(hosts, testVm('web1', { accel: 'kvm' }))).toEqual({ ok: true, host: 'h3' });
  });

  it('multiplies each weigher’s score by its weight, and leaves out weighers weighted 0', () => {
    const e = explain(hosts, testVm('web1'), schedulerConfig({ weights: { resources: 3, load: 0 } }));
    expect(e.hosts[0]).toEqual({ host: 'h3', scores: { spread: 1 }, weights: { spread: 3 }, score: 3 });
  });

  it('shows the soft group weighers for a VM in soft groups', () => {
    const vm = testVm('web2', { groups: [{ name: 'web', policy: 'anti-affinity', hard: false }] });
    const withMember = [testHost('a', { groups: { web: 1 } }), testHost('b', { used: { vcpus: 0, memoryMiB: 16384, diskGiB: 0 } })];
    const e = explain(withMember, vm);
    expect(e.chosen).toBe('b');
    expect(e.hosts.map((h) => [h.host, h.weights])).toEqual([
      ['b', { spread: 0.75, load: 0.5, 'soft-anti-affinity': 2 }],
      ['a', { spread: 1, load: 0.5, 'soft-anti-affinity': 1 }],
    ]);
  });

  it('has no chosen host when every host is rejected', () => {
    const e = explain([hosts[0]!], testVm('v'));
    expect(e.chosen).toBeUndefined();
    expect(e.hosts).toHaveLength(1);
  });
});
