import { describe, expect, it } from 'vitest';
import { again, backoffMs, done, WorkQueue } from './work-queue.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('collapses wake-ups that arrive while a key is queued into one pass', async () => {
    const passes: string[] = [];
    const q = new WorkQueue(async (k) => {
      passes.push(k);
      return done;
    });
    for (let i = 0; i < 5; i++) q.add('a');
    q.add('b');
    await q.idle();
    expect(passes.sort()).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once, and runs it again once if woken meanwhile', async () => {
    let running = 0;
    let maxRunning = 0;
    let passes = 0;
    const q = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      passes++;
      await tick(20);
      running--;
      return done;
    });
    q.add('a');
    await tick(5);
    q.add('a');
    q.add('a');
    q.add('a');
    await tick(100);
    await q.idle();
    expect(maxRunning).toBe(1);
    expect(passes).toBe(2);
  });

  it('retries a failing key with backoff and reports each failure', async () => {
    const errors: number[] = [];
    let calls = 0;
    const q = new WorkQueue(
      async () => {
        calls++;
        if (calls < 3) throw new Error('boom');
        return done;
      },
      { baseBackoffMs: 5, maxBackoffMs: 20, onError: (_k, _e, attempt) => errors.push(attempt) },
    );
    q.add('a');
    await tick(100);
    expect(calls).toBe(3);
    expect(errors).toEqual([1, 2]);
    q.stop();
  });

  it('comes back after the delay a pass asks for', async () => {
    const times: number[] = [];
    const q = new WorkQueue(async () => {
      times.push(Date.now());
      return times.length < 2 ? again(30) : done;
    });
    q.add('a');
    await tick(80);
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(25);
    q.stop();
  });

  it('caps exponential backoff', () => {
    expect([1, 2, 3, 4, 10, 30].map((a) => backoffMs(a, 200, 60_000))).toEqual([200, 400, 800, 1600, 60_000, 60_000]);
  });

  it('runs exclusive tasks apart from passes of their key, and passes woken meanwhile after them', async () => {
    const log: string[] = [];
    let inside = 0;
    let overlap = false;
    const enter = async (what: string) => {
      inside++;
      if (inside > 1) overlap = true;
      log.push(`${what}+`);
      await tick(15);
      log.push(`${what}-`);
      inside--;
    };
    const q = new WorkQueue(async () => {
      await enter('pass');
      return done;
    });
    q.add('a');
    await tick(1);
    const ex1 = q.exclusive('a', async () => {
      await enter('ex1');
      return 1;
    });
    q.add('a');
    const ex2 = q.exclusive('a', async () => {
      await enter('ex2');
      return 2;
    });
    expect(await Promise.all([ex1, ex2])).toEqual([1, 2]);
    await q.idle();
    expect(overlap).toBe(false);
    expect(log.filter((x) => x.endsWith('+'))).toEqual(['pass+', 'ex1+', 'ex2+', 'pass+']);
    // Other keys are not held up.
    let other = false;
    const q2 = new WorkQueue(async () => {
      other = true;
      return done;
    });
    const held = q2.exclusive('a', () => tick(30));
    q2.add('b');
    await tick(5);
    expect(other).toBe(true);
    await held;
  });
});
