import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertRule } from '@herd/api';
import { AlertEngine } from './alert-engine.js';
import type { DescribeTarget } from './metric-target.js';
import { MemoryMetricsStore } from './testing/memory-metrics-store.js';
import { RecordingSink } from './testing/recording-sink.js';

const log = pino({ level: 'silent' });
const describeTarget: DescribeTarget = async (metric, target) => ({ type: 'vm', id: target, name: target === 'id-1' ? 'web1' : target });
const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: '00000000-0000-4000-8000-000000000001',
  name: 'hot',
  metric: 'vm_cpu_percent',
  target: '*',
  targetName: '*',
  op: '>',
  threshold: 80,
  forSeconds: 20,
  severity: 'warning',
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

let engine: AlertEngine | undefined;
afterEach(() => engine?.close());

describe('alert engine', () => {
  it('fires after the duration on written batches, names the VM, and resolves when the value drops', async () => {
    const store = new MemoryMetricsStore();
    const sink = new RecordingSink();
    engine = new AlertEngine({ events: sink, describeTarget, log });
    engine.attach(store, [rule()]);
    const cpu = (t: number, v: number, target = 'id-1') => store.write([{ metric: 'vm_cpu_percent', target, time: (100 + t) * 1000, value: v }]);
    await cpu(0, 95);
    await cpu(0, 99, 'id-2');
    await cpu(10, 95);
    await engine.settled();
    expect(sink.types).toEqual([]);
    expect(engine.list().map((a) => [a.target.name, a.state])).toEqual([
      ['web1', 'pending'],
      ['id-2', 'pending'],
    ]);
    await cpu(20, 97);
    await engine.settled();
    expect(sink.types).toEqual(['alert.firing']);
    expect(sink.events[0]).toMatchObject({ target: { type: 'vm', id: 'id-1', name: 'web1' }, data: { rule: 'hot', state: 'firing', value: 97, severity: 'warning' } });
    expect(sink.events[0]!.message).toBe('alert hot (warning) firing: vm_cpu_percent of vm web1 is 97 > 80 for 20 s');
    await cpu(30, 10);
    await engine.settled();
    expect(sink.types).toEqual(['alert.firing', 'alert.resolved']);
    expect(sink.events[1]!.data).toMatchObject({ state: 'resolved', reason: 'the value is back within the threshold', value: 10 });
    expect(engine.list().find((a) => a.target.name === 'web1')).toMatchObject({ state: 'resolved', since: new Date(100_000).toISOString(), firedAt: new Date(120_000).toISOString(), resolvedAt: expect.any(String) });
  });

  it('watches only its target when it has one', async () => {
    const store = new MemoryMetricsStore();
    const sink = new RecordingSink();
    engine = new AlertEngine({ events: sink, describeTarget, log });
    engine.attach(store, [rule({ target: 'id-2', forSeconds: 0 })]);
    await store.write([{ metric: 'vm_cpu_percent', target: 'id-1', time: 0, value: 99 }, { metric: 'vm_cpu_percent', target: 'id-2', time: 0, value: 99 }]);
    await engine.settled();
    expect(sink.events.map((e) => e.target.id)).toEqual(['id-2']);
  });

  it('resolves when the data stops, and when the rule is deleted', async () => {
    const store = new MemoryMetricsStore();
    const sink = new RecordingSink();
    engine = new AlertEngine({ events: sink, describeTarget, log, staleAfterMs: 60_000 });
    engine.attach(store, [rule({ forSeconds: 0 })]);
    await store.write([{ metric: 'vm_cpu_percent', target: 'id-1', time: 0, value: 99 }, { metric: 'vm_cpu_percent', target: 'id-2', time: 50_000, value: 99 }]);
    engine.expire(70_000);
    await engine.settled();
    expect(sink.events.map((e) => `${e.type}:${e.target.id}`)).toEqual(['alert.firing:id-1', 'alert.firing:id-2', 'alert.resolved:id-1']);
    expect(sink.events[2]!.data.reason).toBe('no data for 60 s');
    engine.removeRule(rule().id);
    await engine.settled();
    expect(sink.events.at(-1)).toMatchObject({ type: 'alert.resolved', target: { id: 'id-2' }, data: { reason: 'the rule was deleted' } });
  });
});
