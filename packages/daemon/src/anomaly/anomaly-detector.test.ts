import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryMetricsStore } from '../alerts/testing/memory-metrics-store.js';
import { RecordingSink } from '../alerts/testing/recording-sink.js';
import { gaussian, seeded } from '../alerts/testing/seeded-random.js';
import { AnomalyDetector } from './anomaly-detector.js';

describe('anomaly detector', () => {
  it('flags an injected spike in a noisy series, with no threshold set, once, with its score', async () => {
    const store = new MemoryMetricsStore();
    const sink = new RecordingSink();
    const detector = new AnomalyDetector({ events: sink, log: pino({ level: 'silent' }), describeTarget: async (_m, t) => ({ type: 'host', id: t, name: t }) });
    detector.attach(store);
    const noise = gaussian(seeded(3));
    for (let i = 0; i < 600; i++) {
      const spike = i >= 400 && i < 403 ? 2 * 1024 ** 3 : 0; // three points 2 GiB up
      await store.write([
        { metric: 'host_memory_used_bytes', target: 'host', time: i * 10_000, value: 6 * 1024 ** 3 + 50 * 1024 ** 2 * noise() + spike },
        { metric: 'host_memory_total_bytes', target: 'host', time: i * 10_000, value: 16 * 1024 ** 3 + (i === 500 ? 4096 : 0) },
      ]);
    }
    await detector.settled();
    detector.close();
    expect(sink.types).toEqual(['anomaly.detected']);
    const a = detector.list()[0]!;
    expect(a).toMatchObject({ metric: 'host_memory_used_bytes', time: new Date(4_000_000).toISOString(), target: { type: 'host', name: 'host' } });
    expect(a.score).toBeGreaterThan(10);
    expect(sink.events[0]!.message).toMatch(/^anomaly: host_memory_used_bytes of host is \d+, [\d.]+ spreads above its normal \d+ \(score [\d.]+\)$/);
    expect(detector.seriesCount).toBe(1);
  });
});

describe('anomaly detector memory', () => {
  it('forgets series that went silent (a deleted VM)', () => {
    const detector = new AnomalyDetector({ events: { append: async () => undefined }, log: pino({ level: 'silent' }), describeTarget: async (_m, t) => ({ type: 'vm', id: t, name: t }), forgetAfterMs: 60_000 });
    detector.observe([{ metric: 'vm_cpu_percent', target: 'gone', time: 0, value: 1 }]);
    for (let t = 0; t <= 120_000; t += 10_000) detector.observe([{ metric: 'vm_cpu_percent', target: 'alive', time: t, value: 1 }]);
    expect(detector.seriesCount).toBe(1);
  });
});
