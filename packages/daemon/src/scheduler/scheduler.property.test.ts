import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClaimLedger, type Claim } from './claim-ledger.js';
import { schedulerConfig } from './config.js';
import { explain } from './explain.js';
import { diskCapacity, memoryCapacity, vcpuCapacity } from './overcommit.js';
import { place } from './place.js';
import type { GroupRequest, HostState, VmRequest } from './types.js';

// Few distinct values, so that scores tie often and the tie-breaking paths run.
const hostArb = (name: string): fc.Arbitrary<HostState> =>
  fc.record({
    name: fc.constant(name),
    cpus: fc.constantFrom(2, 4, 8),
    memoryMiB: fc.constantFrom(2048, 4096, 8192),
    diskGiB: fc.constantFrom(50, 100),
    used: fc.record({ vcpus: fc.constantFrom(0, 2), memoryMiB: fc.constantFrom(0, 1024), diskGiB: fc.constant(0) }),
    overcommit: fc.option(fc.record({ cpu: fc.constantFrom(1, 2) }), { nil: undefined }),
    labels: fc.record({ zone: fc.constantFrom('a', 'b') }),
    maintenance: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    accel: fc.constantFrom('kvm', 'tcg'),
    pools: fc.subarray(['local', 'ceph']),
    networks: fc.subarray(['default', 'prod']),
    load: fc.option(fc.record({ cpu: fc.constantFrom(0, 0.5, 1) }), { nil: undefined }),
    groups: fc.constant({}),
  });

const groups: GroupRequest[] = [
  { name: 'db', policy: 'anti-affinity', hard: true },
  { name: 'web', policy: 'anti-affinity', hard: true, maxPerHost: 2 },
  { name: 'spread', policy: 'anti-affinity', hard: false },
  { name: 'pair', policy: 'affinity', hard: true },
  { name: 'cache', policy: 'affinity', hard: false },
];

const vmArb: fc.Arbitrary<Omit<VmRequest, 'name'>> = fc.record(
  {
    vcpus: fc.constantFrom(1, 2, 4),
    memoryMiB: fc.constantFrom(512, 1024, 2048),
    diskGiB: fc.constantFrom(5, 20),
    selector: fc.record({ zone: fc.constantFrom('a', 'b') }),
    accel: fc.constantFrom('kvm', 'tcg'),
    pool: fc.constantFrom('local', 'ceph'),
    networks: fc.subarray(['default', 'prod']),
    groups: fc.subarray(groups, { maxLength: 2 }),
  },
  { requiredKeys: ['vcpus', 'memoryMiB', 'diskGiB'] },
);

const clusterArb = fc
  .uniqueArray(fc.constantFrom(...'abcdefghijklmnop'.split('').map((c) => `h-${c}`)), { minLength: 1, maxLength: 12 })
  .chain((names) => fc.tuple(...names.map(hostArb)));

const configArb = fc.record({
  strategy: fc.constantFrom('spread' as const, 'pack' as const),
  weights: fc.record({ resources: fc.constantFrom(0, 1, 2), load: fc.constantFrom(0, 0.5, 1), softAffinity: fc.constantFrom(0, 2), softAntiAffinity: fc.constantFrom(0, 2) }),
});

describe('scheduler properties', () => {
  it('the ledger chooses what place and explain choose, and never overcommits a host or breaks a hard group', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(fc.tuple(vmArb, fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 40 }), configArb, (hosts, steps, settings) => {
        const config = schedulerConfig(settings);
        const ledger = new ClaimLedger(hosts, config);
        const claims: Claim[] = [];
        steps.forEach(([spec, dice], i) => {
          // Now and then a VM goes away first, and its host is ranked again.
          if (dice === 0 && claims.length > 0) expect(ledger.release(claims.shift()!)).toBe(true);
          const vm: VmRequest = { name: `vm${i}`, ...spec };
          const expected = place(ledger.hosts, vm, config);
          const explained = explain(ledger.hosts, vm, config);
          const got = ledger.place(vm);
          expect(got.ok && got.host).toBe(expected.ok && expected.host);
          if (got.ok) claims.push(got.claim);
          expect(explained.chosen ?? false).toBe(expected.ok && expected.host);
          if (!got.ok && !expected.ok) expect(got.error.message).toBe(expected.error.message);
        });
        for (const h of ledger.hosts) {
          const start = hosts.find((s) => s.name === h.name)!;
          // Claims never take a host past its capacity (the hosts may start past it: then no claim lands there).
          if (h.used.vcpus !== start.used.vcpus) {
            expect(h.used.vcpus).toBeLessThanOrEqual(vcpuCapacity(h, config));
            expect(h.used.memoryMiB).toBeLessThanOrEqual(memoryCapacity(h, config));
            expect(h.used.diskGiB).toBeLessThanOrEqual(diskCapacity(h, config));
          }
          expect(h.groups.db ?? 0).toBeLessThanOrEqual(1);
          expect(h.groups.web ?? 0).toBeLessThanOrEqual(2);
        }
        expect(ledger.hosts.filter((h) => (h.groups.pair ?? 0) > 0).length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});
