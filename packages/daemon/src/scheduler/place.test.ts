import { describe, expect, it } from 'vitest';
import { ClaimLedger } from './claim-ledger.js';
import { schedulerConfig } from './config.js';
import { place } from './place.js';
import { testHost, testVm } from './testing/builders.js';

const usedMiB = (memoryMiB: number) => ({ used: { vcpus: 0, memoryMiB, diskGiB: 0 } });

describe('place', () => {
  it('spread takes the emptiest host, pack the fullest that still fits', () => {
    const hosts = [testHost('half', usedMiB(32768)), testHost('empty'), testHost('full', usedMiB(65536))];
    expect(place(hosts, testVm('v'))).toEqual({ ok: true, host: 'empty' });
    expect(place(hosts, testVm('v'), schedulerConfig({ strategy: 'pack' }))).toEqual({ ok: true, host: 'half' });
  });

  it('one by one, spread deals VMs round the hosts and pack fills one host before the next', () => {
    const hosts = ['a', 'b', 'c'].map((n) => testHost(n, { memoryMiB: 4096 }));
    const run = (strategy: 'spread' | 'pack') => {
      const ledger = new ClaimLedger(hosts, schedulerConfig({ strategy }));
      return Array.from({ length: 6 }, (_, i) => {
        const r = ledger.place(testVm(`v${i}`, { memoryMiB: 2048 }));
        return r.ok ? r.host : '-';
      });
    };
    expect(run('spread')).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(run('pack')).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  it('lets a host’s own overcommit ratio decide where the config’s would not fit', () => {
    const vm = testVm('wide', { vcpus: 48 });
    const hosts = [testHost('a', { cpus: 8 }), testHost('b', { cpus: 8, overcommit: { cpu: 8 } })];
    expect(place(hosts, vm)).toEqual({ ok: true, host: 'b' });
    const c = schedulerConfig({ overcommit: { cpu: 6 } });
    expect(place(hosts, vm, c)).toEqual({ ok: true, host: 'a' }); // 48 of 8 × 6.0 fits exactly; b scores the same, a sorts first
  });

  it('is deterministic: equal scores go to the name that sorts first, whatever the input order', () => {
    const names = ['h10', 'h02', 'h1', 'h01', 'H9'];
    const orders = [names, [...names].reverse(), ['h01', 'h10', 'H9', 'h1', 'h02']];
    for (const order of orders) expect(place(order.map((n) => testHost(n)), testVm('v'))).toEqual({ ok: true, host: 'H9' });
  });
});
