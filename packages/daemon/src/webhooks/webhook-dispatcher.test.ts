import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../events/event-log.js';
import { openDatabase, type Db } from '../store/open-database.js';
import { retryDelay } from './backoff.js';
import { wantsEvent } from './event-filter.js';
import { signatureHeader, verifySignature } from './signature.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookRepo } from './webhook-repo.js';
import { WebhookService } from './webhook-service.js';

interface Received {
  readonly at: number;
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

/** A local receiver that answers each request with the next status of `statuses` (then 200). */
async function receiver(statuses: number[], delayMs = 0): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ at: Date.now(), body, headers: req.headers });
      setTimeout(() => res.writeHead(statuses.shift() ?? 200).end(), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const log = pino({ level: 'silent' });
let dir: string;
let db: Db;
let servers: Server[] = [];
let dispatchers: WebhookDispatcher[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-webhooks-'));
  db = await openDatabase(join(dir, 'herd.db'));
});
afterEach(async () => {
  for (const d of dispatchers) await d.close();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  servers = [];
  dispatchers = [];
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function setup(options: Partial<ConstructorParameters<typeof WebhookDispatcher>[0]> = {}) {
  const repo = new WebhookRepo(db);
  const events = new EventLog(db);
  const dispatcher = new WebhookDispatcher({ repo, log, userAgent: 'herd-test', backoff: { baseMs: 100, capMs: 400, maxAttempts: 5 }, ...options });
  dispatchers.push(dispatcher);
  return { repo, events, dispatcher, service: new WebhookService(repo, dispatcher) };
}

describe('webhook delivery', () => {
  it('retries with growing delays until the receiver takes it, signed with the secret', async () => {
    const r = await receiver([500, 503]);
    servers.push(r.server);
    const { events, dispatcher, service } = setup();
    await dispatcher.start(events);
    const hook = await service.create({ url: r.url, events: ['alert.*'], secret: 's3cret' });
    await events.append({ type: 'vm.created', target: { type: 'vm', id: null, name: 'x' }, message: 'not wanted' });
    const sent = await events.append({ type: 'alert.firing', target: { type: 'vm', id: 'id-1', name: 'web1' }, message: 'hot', data: { value: 97 } });
    await until(() => r.got.length === 3);
    await dispatcher.settled();
    // every attempt carried the same body, correctly signed
    for (const g of r.got) {
      expect(JSON.parse(g.body)).toEqual(sent);
      expect(verifySignature('s3cret', g.body, g.headers[signatureHeader] as string)).toBe(true);
      expect(g.headers['x-herd-event']).toBe('alert.firing');
    }
    expect(verifySignature('wrong', r.got[0]!.body, r.got[0]!.headers[signatureHeader] as string)).toBe(false);
    // backoff: ~100 ms then ~200 ms (±20%)
    const gaps = [r.got[1]!.at - r.got[0]!.at, r.got[2]!.at - r.got[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(75);
    expect(gaps[1]).toBeGreaterThanOrEqual(155);
    expect(gaps[1]).toBeGreaterThan(gaps[0]! * 1.2);
    const [d] = await service.deliveries(hook.id, undefined);
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null, event: { seq: sent.seq, type: 'alert.firing' } });
    expect((await service.list())[0]!.deliveries).toEqual({ pending: 0, delivered: 1, failed: 0 });
  });

  it('gives up after the last attempt and says why', async () => {
    const r = await receiver([500, 500, 500, 500, 500, 500]);
    servers.push(r.server);
    const { events, dispatcher, service } = setup({ backoff: { baseMs: 10, capMs: 20, maxAttempts: 3 } });
    await dispatcher.start(events);
    const hook = await service.create({ url: r.url });
    await events.append({ type: 'alert.firing', target: { type: 'host', id: 'host', name: 'host' }, message: 'm' });
    await until(async () => (await service.deliveries(hook.id, 'failed')).length === 1);
    expect((await service.deliveries(hook.id, undefined))[0]).toMatchObject({ attempts: 3, lastStatusCode: 500, lastError: 'the receiver answered 500', nextAttemptAt: null });
  });

  it('times out a slow receiver without holding anything up, and a restart resumes pending deliveries', async () => {
    const slow = await receiver([], 2_000);
    servers.push(slow.server);
    const first = setup({ timeoutMs: 200, backoff: { baseMs: 60_000, capMs: 60_000, maxAttempts: 5 } });
    await first.dispatcher.start(first.events);
    const hook = await first.service.create({ url: slow.url });
    const t0 = Date.now();
    await first.events.append({ type: 'alert.firing', target: { type: 'host', id: 'host', name: 'host' }, message: 'm' });
    expect(Date.now() - t0).toBeLessThan(100);
    await until(async () => (await first.service.deliveries(hook.id, undefined))[0]?.attempts === 1);
    expect((await first.service.deliveries(hook.id, undefined))[0]).toMatchObject({ status: 'pending', lastError: 'no answer within 0.2 s' });
    await first.dispatcher.close();
    // "restart": a new dispatcher on the same database, the retry now due
    await db.updateTable('webhook_deliveries').set({ next_attempt_at: Date.now() }).execute();
    const second = setup({ timeoutMs: 5_000 });
    await second.dispatcher.start(second.events);
    await until(async () => (await second.service.deliveries(hook.id, 'delivered')).length === 1);
    expect(slow.got.length).toBe(2);
  });
});

describe('webhook delivery from several hosts', () => {
  it('sends each delivery once when the dispatchers of several hosts read the same database', async () => {
    const r = await receiver([], 50);
    servers.push(r.server);
    const { repo, service } = setup();
    const hook = await service.create({ url: r.url });
    const hosts = [setup(), setup(), setup()];
    // Pending deliveries queued by some host, due now: every dispatcher finds them at its start.
    const now = Date.now();
    await repo.insertDeliveries(
      Array.from({ length: 20 }, (_, i) => ({
        id: `d${i}`, webhook_id: hook.id, event_seq: i + 1, event_type: 'alert.firing', payload: `{"seq":${i + 1}}`, status: 'pending' as const,
        attempts: 0, last_status_code: null, last_error: null, next_attempt_at: now, created_at: new Date(now).toISOString(), delivered_at: null,
      })),
    );
    await Promise.all(hosts.map((h) => h.dispatcher.start(h.events)));
    await until(async () => (await service.deliveries(hook.id, 'delivered')).length === 20);
    await Promise.all(hosts.map((h) => h.dispatcher.settled()));
    expect(r.got.map((g) => g.headers['x-herd-delivery']).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `d${i}`).sort());
  });
});

describe('webhook pieces', () => {
  it('backoff doubles up to the cap and stops after the last attempt', () => {
    const o = { baseMs: 1000, capMs: 5000, maxAttempts: 5 };
    expect([1, 2, 3, 4].map((n) => retryDelay(n, o, () => 0.5))).toEqual([1000, 2000, 4000, 5000]);
    expect(retryDelay(5, o)).toBeNull();
    expect(retryDelay(1, o, () => 0)).toBe(800);
  });

  it('event filters take exact types and * patterns; none means all', () => {
    expect(wantsEvent([], 'vm.created')).toBe(true);
    expect(wantsEvent(['alert.*'], 'alert.firing')).toBe(true);
    expect(wantsEvent(['alert.*'], 'anomaly.detected')).toBe(false);
    expect(wantsEvent(['forecast.warning', 'anomaly.*'], 'forecast.warning')).toBe(true);
    expect(wantsEvent(['alert.firing'], 'alert.firingX')).toBe(false);
  });
});
