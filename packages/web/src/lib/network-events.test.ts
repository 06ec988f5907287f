import type { HerdEvent, Operation } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { isNetworkEvent, isNicChange, isSecgroupEvent } from './network-events.js';

const event = (type: string, target: HerdEvent['target'], data: Record<string, unknown> = {}): HerdEvent => ({
  seq: 1,
  time: '2025-01-01T00:00:00.000Z',
  type,
  target,
  message: '',
  data,
});
const opEvent = (kind: string, status: Operation['status']) =>
  event('operation.updated', { type: 'operation', id: 'op1', name: kind }, { operation: { kind, status, target: { type: 'vm', id: 'v1', name: 'web1' } } });

describe('network events', () => {
  it('tells NIC changes from other VM events', () => {
    expect(isNicChange(event('vm.nic_added', { type: 'vm', id: 'v1', name: 'web1' }))).toBe(true);
    expect(isNicChange(event('vm.nic_updated', { type: 'vm', id: 'v1', name: 'web1' }))).toBe(true);
    expect(isNicChange(event('vm.state', { type: 'vm', id: 'v1', name: 'web1' }))).toBe(false);
  });

  it('rereads networks and groups on their own events, NIC changes and finished operations', () => {
    const net = event('network.created', { type: 'network', id: 'n1', name: 'lab' });
    const group = event('secgroup.rule_added', { type: 'secgroup', id: 'g1', name: 'web' });
    expect(isNetworkEvent(net)).toBe(true);
    expect(isNetworkEvent(group)).toBe(false);
    expect(isSecgroupEvent(group)).toBe(true);
    expect(isSecgroupEvent(net)).toBe(false);
    for (const e of [event('vm.nic_removed', { type: 'vm', id: 'v1', name: 'web1' }), opEvent('nic.add', 'running'), opEvent('vm.delete', 'succeeded')]) {
      expect(isNetworkEvent(e)).toBe(true);
      expect(isSecgroupEvent(e)).toBe(true);
    }
    expect(isNetworkEvent(opEvent('vm.start', 'running'))).toBe(false);
    expect(isNetworkEvent(event('vm.state', { type: 'vm', id: 'v1', name: 'web1' }))).toBe(false);
  });
});
