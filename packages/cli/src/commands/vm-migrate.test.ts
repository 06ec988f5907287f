import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson } from '../test-support/fake-daemon.js';
import { sampleOp, sampleVm } from '../test-support/fixtures.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

const op = sampleOp({ kind: 'vm.migrate' });
const moved = sampleVm('web1', { host: 'h2' });

describe('herd vm migrate', () => {
  it('sends the destination and options, waits, and prints the VM where it now runs', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/actions/migrate': (_q, res) => sendJson(res, 202, op),
      [`GET /api/v1/operations/${op.id}`]: (_q, res) => sendJson(res, 200, { ...op, status: 'succeeded', progress: 100, result: { from: 'h1', to: 'h2', mode: 'live', totalMs: 640, downtimeMs: 7 } }),
      'GET /api/v1/vms/web1': (_q, res) => sendJson(res, 200, moved),
    });
    const r = await runCli(['vm', 'migrate', 'web1', '--to', 'h2', '--downtime-ms', '50', '--bandwidth', '100', '--postcopy', '--no-auto-converge'], { url: daemon.url });
    expect(r.code, r.stderr).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/actions/migrate')[0]?.body).toEqual({ to: 'h2', downtimeLimitMs: 50, maxBandwidthMiBps: 100, postcopy: true, autoConverge: false });
    expect(r.stderr).toContain('moved to h2 in 640 ms, paused 7 ms');
    expect(r.stdout).toMatch(/^host:\s+h2$/m);
  });

  it('leaves the destination to the scheduler and returns at once with --no-wait', async () => {
    daemon = await FakeDaemon.start({ 'POST /api/v1/vms/web1/actions/migrate': (_q, res) => sendJson(res, 202, op) });
    const r = await runCli(['vm', 'migrate', 'web1', '--no-wait'], { url: daemon.url });
    expect(r.code).toBe(0);
    expect(daemon.calls('POST', '/api/v1/vms/web1/actions/migrate')[0]?.body).toEqual({});
    expect(r.stdout).toBe(`${op.id}\n`);
  });

  it('says why a migration is refused and exits 4', async () => {
    daemon = await FakeDaemon.start({
      'POST /api/v1/vms/web1/actions/migrate': (_q, res) => sendError(res, 'migration_refused', { name: 'web1', reason: 'this installation has one host' }),
    });
    const r = await runCli(['vm', 'migrate', 'web1'], { url: daemon.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: cannot migrate VM 'web1': this installation has one host\n");
  });

  it('refuses a bad downtime before asking', async () => {
    const r = await runCli(['vm', 'migrate', 'web1', '--downtime-ms', 'soon'], { url: 'http://127.0.0.1:9' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--downtime-ms must be a whole number/);
  });
});
