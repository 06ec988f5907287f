import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HerdError } from '@herd/api';
import { EventLog } from '../events/event-log.js';
import { openDatabase, type Db } from '../store/open-database.js';
import { AlertEngine } from './alert-engine.js';
import { AlertRuleRepo } from './alert-rule-repo.js';
import { AlertService } from './alert-service.js';
import { readOpenAlerts } from './open-alerts.js';
import { MemoryMetricsStore } from './testing/memory-metrics-store.js';
import { RecordingSink } from './testing/recording-sink.js';

const vmId = '0b0e5c1e-4a7e-4b8e-9a55-1f2d3c4b5a69';
const findVm = async (ref: string) => (ref === 'web1' || ref === vmId ? { id: vmId, name: 'web1' } : undefined);
const log = pino({ level: 'silent' });

let dir: string;
let db: Db;
const engines: AlertEngine[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herd-alerts-'));
  db = await openDatabase(join(dir, 'herd.db'));
});
afterEach(async () => {
  for (const e of engines.splice(0)) e.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** A service over the database, its engine fed by `store` with the rules stored so far (as at daemon start). */
async function service(store: MemoryMetricsStore, sink = new RecordingSink()) {
  const repo = new AlertRuleRepo(db);
  const engine = new AlertEngine({ events: sink, log, describeTarget: async (_m, t) => ({ type: 'vm', id: t, name: t === vmId ? 'web1' : t }) });
  engine.attach(store, await repo.list());
  engines.push(engine);
  return { svc: new AlertService(repo, engine, findVm), engine, sink };
}

describe('alert service', () => {
  it('stores a VM target by id, with defaults, and refuses a taken name or an unknown VM', async () => {
    const { svc } = await service(new MemoryMetricsStore());
    const rule = await svc.createRule({ name: 'hot', metric: 'vm_cpu_percent', target: 'web1', op: '>', threshold: 90 });
    expect(rule).toMatchObject({ target: vmId, targetName: 'web1', forSeconds: 0, severity: 'warning' });
    await expect(svc.createRule({ name: 'hot', metric: 'host_cpu_percent', op: '>', threshold: 1 })).rejects.toMatchObject({ code: 'name_taken' });
    const unknown = await svc.createRule({ name: 'x', metric: 'vm_cpu_percent', target: 'nope', op: '>', threshold: 1 }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(HerdError);
    expect((unknown as HerdError).message).toBe("vm 'nope' does not exist; list them with `herd vm list`");
    // host and pool targets are kept as given; no target means every target
    expect(await svc.createRule({ name: 'pool', metric: 'pool_used_bytes', target: 'default', op: '>', threshold: 1 })).toMatchObject({ target: 'default' });
    expect(await svc.createRule({ name: 'any', metric: 'host_cpu_percent', op: '<', threshold: 1 })).toMatchObject({ target: '*', targetName: '*' });
    expect((await svc.listRules()).map((r) => r.name)).toEqual(['any', 'hot', 'pool']);
  });

  it('rules survive a restart and keep working; deleting one by name resolves its alerts', async () => {
    const first = await service(new MemoryMetricsStore());
    await first.svc.createRule({ name: 'hot', metric: 'vm_cpu_percent', target: 'web1', op: '>', threshold: 90 });
    // a new engine on the same database, as after a daemon restart
    const store = new MemoryMetricsStore();
    const { svc, engine, sink } = await service(store);
    await store.write([{ metric: 'vm_cpu_percent', target: vmId, time: Date.now(), value: 99 }]);
    await engine.settled();
    expect(svc.listAlerts('firing')).toMatchObject([{ rule: 'hot', target: { name: 'web1' }, value: 99 }]);
    expect(await svc.deleteRule('hot')).toMatchObject({ name: 'hot' });
    await engine.settled();
    expect(sink.types).toEqual(['alert.firing', 'alert.resolved']);
    expect(svc.listAlerts('firing')).toEqual([]);
    expect(svc.listAlerts('resolved')).toMatchObject([{ rule: 'hot', reason: 'the rule was deleted' }]);
    await expect(svc.deleteRule('hot')).rejects.toMatchObject({ code: 'not_found', message: "alert rule 'hot' does not exist; list them with `herd alert rule list`" });
  });

  it('an alert firing before a restart goes on firing without a second event, and resolves after it', async () => {
    const events = new EventLog(db);
    const repo = new AlertRuleRepo(db);
    const describeTarget = async (_m: string, t: string) => ({ type: 'vm' as const, id: t, name: 'web1' });
    const start = async (store: MemoryMetricsStore) => {
      const engine = new AlertEngine({ events, log, describeTarget });
      engine.attach(store, await repo.list(), await readOpenAlerts(db));
      engines.push(engine);
      return { engine, svc: new AlertService(repo, engine, findVm) };
    };
    const before = new MemoryMetricsStore();
    const first = await start(before);
    await first.svc.createRule({ name: 'hot', metric: 'vm_cpu_percent', target: 'web1', op: '>', threshold: 90 });
    await before.write([{ metric: 'vm_cpu_percent', target: vmId, time: Date.now(), value: 99 }]);
    await first.engine.settled();
    first.engine.close();
    // restart
    const after = new MemoryMetricsStore();
    const second = await start(after);
    expect(second.svc.listAlerts('firing')).toMatchObject([{ rule: 'hot', target: { id: vmId, name: 'web1' }, value: 99 }]);
    await after.write([{ metric: 'vm_cpu_percent', target: vmId, time: Date.now() + 1000, value: 98 }]);
    await after.write([{ metric: 'vm_cpu_percent', target: vmId, time: Date.now() + 2000, value: 10 }]);
    await second.engine.settled();
    const types = (await events.list()).map((e) => e.type);
    expect(types).toEqual(['alert.firing', 'alert.resolved']);
    expect(await readOpenAlerts(db)).toEqual([]);
  });
});
