import { describe, expect, it } from 'vitest';
import { place } from './place.js';
import { testHost, testVm } from './testing/builders.js';
import type { HostState } from './types.js';

describe('no host fits', () => {
  it('says for each host which filter rejected it and why', () => {
    const hosts = [
      testHost('h1', { memoryMiB: 8192, used: { vcpus: 2, memoryMiB: 7168, diskGiB: 0 } }),
      testHost('h2', { maintenance: true }),
      testHost('h3', { groups: { db: 1 } }),
    ];
    const result = place(hosts, testVm('web1', { memoryMiB: 2048, groups: [{ name: 'db', policy: 'anti-affinity', hard: true }] }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toBe(
      'no host fits VM web1 (3 hosts): h1: capacity (needs 2048 MiB memory, has 1024 MiB free of 8192×1.0); ' +
        'h2: maintenance (host is in maintenance); h3: anti-affinity (group db already has 1 of max 1 here)',
    );
    expect(result.error.rejections.map((r) => [r.host, r.filter])).toEqual([
      ['h1', 'capacity'],
      ['h2', 'maintenance'],
      ['h3', 'anti-affinity'],
    ]);
  });

  it('groups identical reasons and counts the rest, so 1,000 hosts make a short message', () => {
    const hosts: HostState[] = [];
    for (let i = 0; i < 1000; i++) {
      const name = `h${String(i).padStart(4, '0')}`;
      if (i < 600) hosts.push(testHost(name, { maintenance: true }));
      else if (i < 900) hosts.push(testHost(name, { accel: 'tcg' }));
      else hosts.push(testHost(name, { used: { vcpus: 0, memoryMiB: 65536 - i, diskGiB: 0 } }));
    }
    const result = place(hosts, testVm('big', { accel: 'kvm', memoryMiB: 4096 }));
    if (result.ok) throw new Error('placed');
    const { message, rejections } = result.error;
    expect(rejections).toHaveLength(1000);
    expect(message).toMatch(/^no host fits VM big \(1000 hosts\): h0000, h0001, h0002 and 597 more: maintenance \(host is in maintenance\); h0600, h0601, h0602 and 297 more: accel \(needs KVM, host has only TCG\); h0900: capacity \(needs 4096 MiB memory, has 900 MiB free of 65536×1\.0\); /);
    // Eight reasons spelled out, then the other 94 capacity rejections counted.
    expect(message).toMatch(/; h0905: capacity \([^)]*\); and 94 more hosts \(capacity 94\)$/);
    expect(message.length).toBeLessThan(1000);
  });

  it('says so when there are no hosts at all', () => {
    const result = place([], testVm('v'));
    expect(!result.ok && result.error.message).toBe('no host fits VM v: there are no hosts');
  });
});
