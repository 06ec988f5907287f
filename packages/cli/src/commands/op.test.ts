import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendJson } from '../test-support/fake-daemon.js';
import { sampleHost, sampleOp } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const op = sampleOp({ status: 'running', progress: 40, message: 'booting' });

describe('herd op', () => {
  it('list passes --status and --limit and renders a table', async () => {
    daemon = await FakeDaemon.start({ 'GET /api/v1/operations': (_q, res) => sendJson(res, 200, [op]) });
    const r = await runCli(['op', 'list', '--status', 'running', '--limit', '5'], { url: daemon.url });
    expect(r.code).toBe(0);
    const q = daemon.calls('GET', '/api/v1/operations')[0]?.query;
    expect([q?.get('status'), q?.get('limit')]).toEqual(['running', '5']);
    expect(r.stdout).toMatch(new RegExp(`^ID\\s+KIND\\s+TARGET\\s+STATUS\\s+PROGRESS\\s+AGE\\s+MESSAGE\\n${op.id}\\s+vm\\.start\\s+vm/web1\\s+running\\s+40%\\s+\\d+d\\s+booting\\n$`));
  });

  it('list rejects an unknown status with exit 2', async () => {
    const r = await runCli(['op', 'list', '--status', 'done'], { url: 'http://127.0.0.1:9' });
    expect(r.code).toBe(2);
  });

  it('wait gives up after --timeout with exit 7 and says how to go on', async () => {
    daemon = await FakeDaemon.start({ [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, op) });
    const r = await runCli(['op', 'wait', op.id, '--timeout', '1'], { url: daemon.url });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe(
      `herd: timed out after 1 s waiting for operation ${op.id} (vm.start web1); the operation goes on, follow it with \`herd op wait ${op.id}\`\n`,
    );
  });

  it('wait prints the finished operation', async () => {
    const done = { ...op, status: 'succeeded', progress: 100 };
    daemon = await FakeDaemon.start({ [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, done) });
    const r = await runCli(['op', 'wait', op.id, '-o', 'yaml'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('status: succeeded\n');
  });
});

describe('herd host', () => {
  it('show defaults to the local host', async () => {
    const host: Host = sampleHost('local', { accel: 'tcg', accelPreference: 'auto', accelReason: '/dev/kvm is missing', kvmUsable: false, vms: { total: 3, running: 1 } });
    daemon = await FakeDaemon.start({ 'GET /api/v1/hosts/local': (_q, res) => sendJson(res, 200, host) });
    const r = await runCli(['host', 'show'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^accel:\s+tcg \(asked: auto; \/dev\/kvm is missing\)$/m);
    expect(r.stdout).toMatch(/^vms:\s+1 running of 3$/m);
  });
});
