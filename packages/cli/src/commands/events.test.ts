import type { ServerResponse } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HerdEvent } from '@herd/api';
import { ensureBuilt, runCli, startCli } from '../test-support/cli.js';
import { FakeDaemon } from '../test-support/fake-daemon.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

function event(seq: number, type: string, name: string, message: string): HerdEvent {
  return { seq, time: `2025-01-01T00:00:0${seq}.000Z`, type, target: { type: 'vm', id: null, name }, message, data: {} };
}

const events = [event(6, 'vm.created', 'web1', 'created'), event(7, 'vm.state', 'web1', 'running')];

/** Serves `events` as server-sent events, then keeps the stream open (or ends it with `end`). */
async function eventStream(end = false): Promise<FakeDaemon> {
  daemon = await FakeDaemon.start({
    'GET /api/v1/events': (_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of events) res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      if (end) res.end();
    },
  });
  return daemon;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for output');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('herd events', () => {
  it('prints one event per line, passes --since, and exits 0 on Ctrl-C', async () => {
    const d = await eventStream();
    const cli = startCli(['events', '--since', '5'], { url: d.url });
    await until(() => cli.stdout().split('\n').length > 2);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      '2025-01-01T00:00:06.000Z  vm.created          vm/web1           created',
      '2025-01-01T00:00:07.000Z  vm.state            vm/web1           running',
    ]);
    expect(d.calls('GET', '/api/v1/events')[0]?.query.get('since')).toBe('5');
  });

  it('prints one JSON object per line with -o json', async () => {
    const d = await eventStream();
    const cli = startCli(['events', '-o', 'json'], { url: d.url });
    await until(() => cli.stdout().split('\n').length > 2);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(events);
  });

  it('exits 6 when the daemon ends the stream', async () => {
    const d = await eventStream(true);
    const r = await runCli(['events'], { url: d.url });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/the daemon closed the event stream/);
  });
});
