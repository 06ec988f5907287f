import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryMetricsStore } from '../alerts/testing/memory-metrics-store.js';
import { RecordingSink } from '../alerts/testing/recording-sink.js';
import { ForecastEngine } from './forecast-engine.js';

const GiB = 1024 ** 3;
const minute = 60_000;

describe('forecast engine', () => {
  it('warns once when a pool is forecast full within the horizon, and clears when it stops growing', async () => {
    const store = new MemoryMetricsStore();
    const sink = new RecordingSink();
    const engine = new ForecastEngine({ events: sink, log: pino({ level: 'silent' }), horizonMs: 4 * 60 * minute, minSpanMs: 5 * minute });
    engine.attach(store);
    const pool = (t: number, used: number) =>
      store.write([
        { metric: 'pool_used_bytes', target: 'default', time: t, value: used },
        { metric: 'pool_capacity_bytes', target: 'default', time: t, value: 100 * GiB },
      ]);
    // 1 GiB/min from 10 GiB: full after 90 min; the first warning (10 points, 9 min of history, at 19 GiB) says 81 min.
    for (let m = 0; m <= 30; m++) await pool(m * minute, 10 * GiB + m * GiB);
    await engine.settled();
    expect(sink.types).toEqual(['forecast.warning']);
    expect(sink.events[0]!.message).toBe('pool default full in ~81 min (19% used, growing 60.0 GiB/h)');
    const [f] = engine.list();
    expect(f).toMatchObject({ resource: 'pool', target: { type: 'pool', id: 'default' }, warning: true, capacity: 100 * GiB });
    expect(f!.secondsToExhaustion! / 60).toBeCloseTo(60, -1);
    // use stops growing: the episode ends
    for (let m = 31; m <= 200; m++) await pool(m * minute, 40 * GiB);
    await engine.settled();
    expect(sink.types).toEqual(['forecast.warning', 'forecast.cleared']);
    expect(engine.list()[0]!.warning).toBe(false);
    engine.close();
  });
});
