import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AlertRule } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { parseDurationSeconds, parseThreshold } from './alert-options.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const rule: AlertRule = {
  id: '00000000-0000-4000-8000-000000000001',
  name: 'hot',
  metric: 'vm_cpu_percent',
  target: '00000000-0000-4000-8000-00000000000a',
  targetName: 'web1',
  op: '>',
  threshold: 80,
  forSeconds: 30,
  severity: 'critical',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('herd alert', () => {
  it('rule add sends the rule the options describe', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/alert-rules': (_q, res) => sendJson(res, 201, rule) });
    const r = await runCli(['alert', 'rule', 'add', 'hot', '--metric', 'vm_cpu_percent', '--target', 'web1', '--above', '80', '--for', '30s', '--severity', 'critical'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    expect(daemon.calls('POST', '/api/v1/alert-rules')[0]?.body).toEqual({ name: 'hot', metric: 'vm_cpu_percent', target: 'web1', op: '>', threshold: 80, forSeconds: 30, severity: 'critical' });
    expect(r.stdout).toBe("alert rule 'hot' added: vm_cpu_percent of web1 > 80 for 30 s (critical)\n");
  });

  it('rule add wants exactly one of --above and --below (exit 2)', async () => {
    const r = await runCli(['alert', 'rule', 'add', 'x', '--metric', 'm'], { url: 'http://127.0.0.1:9' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give exactly one of --above VALUE or --below VALUE');
  });

  it('rule remove of an unknown rule exits 3 with the daemon message', async () => {
    daemon = await FakeDaemon.start({ 'DELETE /api/v1/alert-rules/nope': (_q, res) => sendError(res, 'not_found', { kind: 'alert rule', name: 'nope' }) });
    const r = await runCli(['alert', 'rule', 'remove', 'nope'], { url: daemon.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("herd: alert rule 'nope' does not exist; list them with `herd alert rule list`\n");
  });

  it('list shows alerts in a table and passes --state', async () => {
    const alert: Alert = {
      rule: 'hot', ruleId: rule.id, metric: 'vm_memory_rss_bytes', target: { type: 'vm', id: rule.target, name: 'web1' }, severity: 'warning', state: 'firing',
      op: '>', threshold: 512 * 1024 ** 2, value: 600 * 1024 ** 2, since: new Date().toISOString(), firedAt: new Date().toISOString(), resolvedAt: null, reason: null,
    };
    daemon = await FakeDaemon.start({ 'GET /api/v1/alerts': (_q, res) => sendJson(res, 200, [alert]) });
    const r = await runCli(['alert', 'list', '--state', 'firing'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    expect(daemon.calls('GET', '/api/v1/alerts')[0]?.query.get('state')).toBe('firing');
    expect(r.stdout).toMatch(/^STATE\s+SEVERITY\s+RULE\s+TARGET\s+VALUE\s+CONDITION\s+SINCE\s+NOTE\nfiring\s+warning\s+hot\s+vm\/web1\s+600 MiB\s+vm_memory_rss_bytes > 512 MiB\s+\d+s\n$/);
  });

  it('parses durations and thresholds', () => {
    expect([parseDurationSeconds('30s'), parseDurationSeconds('5m'), parseDurationSeconds('90'), parseDurationSeconds('1h')]).toEqual([30, 300, 90, 3600]);
    expect(() => parseDurationSeconds('soon')).toThrow(/not a duration/);
    expect([parseThreshold('80'), parseThreshold('0.5'), parseThreshold('80%'), parseThreshold('2G'), parseThreshold('-1')]).toEqual([80, 0.5, 80, 2 * 1024 ** 3, -1]);
    expect(() => parseThreshold('lots')).toThrow(/not a number or a size/);
  });
});

describe('herd webhook', () => {
  it('add splits --events and sends the secret', async () => {
    const hook = { id: '00000000-0000-4000-8000-0000000000b0', url: 'http://x/y', events: ['alert.*', 'forecast.warning'], hasSecret: true, createdAt: '2026-01-01T00:00:00.000Z', deliveries: { pending: 0, delivered: 0, failed: 0 } };
    daemon = await FakeDaemon.start({ 'POST /api/v1/webhooks': (_q, res) => sendJson(res, 201, hook) });
    const r = await runCli(['webhook', 'add', 'http://x/y', '--events', 'alert.*, forecast.warning', '--secret', 's'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    expect(daemon.calls('POST', '/api/v1/webhooks')[0]?.body).toEqual({ url: 'http://x/y', events: ['alert.*', 'forecast.warning'], secret: 's' });
    expect(r.stdout).toBe(`webhook ${hook.id} added: http://x/y (alert.*, forecast.warning)\n`);
  });
});
