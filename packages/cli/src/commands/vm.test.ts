import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Operation, Vm } from '@herd/api';
import { ensureBuilt, runCli } from '../test-support/cli.js';
import { FakeDaemon, sendError, sendJson, type Handler } from '../test-support/fake-daemon.js';
import { sampleOp, sampleVm } from '../test-support/fixtures.js';
import { closedPort } from '../test-support/ports.js';

let daemon: FakeDaemon | undefined;

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});

async function start(routes: Record<string, Handler>): Promise<FakeDaemon> {
  daemon = await FakeDaemon.start(routes);
  return daemon;
}

/** Answers getOperation with each of `states` in turn, then the last one again. */
function operationSequence(states: readonly Operation[]): Handler {
  let i = 0;
  return (_req, res) => sendJson(res, 200, states[Math.min(i++, states.length - 1)]);
}

describe('herd vm list', () => {
  const vms = [sampleVm('web1'), sampleVm('db', { state: 'stopped', pid: null, accel: null })];

  it('renders a table with one row per VM', async () => {
    const d = await start({ 'GET /api/v1/vms': (_q, res) => sendJson(res, 200, vms) });
    const r = await runCli(['vm', 'list'], { url: d.url });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATE\s+HOST\s+ACCEL\s+CPUS\s+MEMORY\s+PID\s+IMAGE\s+AGE\s+ADDRESSES$/);
    expect(lines[1]).toMatch(/^web1\s+running\s+local\s+tcg\s+1\s+256 MiB\s+4242\s+tiny\s+\d+d\s+-$/);
    expect(lines[2]).toMatch(/^db\s+stopped\s+local\s+-\s+1\s+256 MiB\s+-\s+tiny/);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('prints the API objects with -o json, placed before or after the command', async () => {
    const d = await start({ 'GET /api/v1/vms': (_q, res) => sendJson(res, 200, vms) });
    for (const args of [['-o', 'json', 'vm', 'list'], ['vm', 'list', '--output', 'json']]) {
      const r = await runCli(args, { url: d.url });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(vms);
    }
  });

  it('takes the daemon URL from --url over HERD_URL', async () => {
    const d = await start({ 'GET /api/v1/vms': (_q, res) => sendJson(res, 200, []) });
    const r = await runCli(['--url', d.url, 'vm', 'list', '-o', 'yaml'], { url: 'http://127.0.0.1:1' });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('[]');
  });

  it('exits 6 with a hint when the daemon cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(['vm', 'list'], { url });
    expect(r.code).toBe(6);
    expect(r.stderr).toBe(`herd: cannot reach the herd daemon at ${url}: connect ECONNREFUSED ${url.slice(7)}; is \`herd serve\` running? (set --url or HERD_URL)\n`);
  });
});

describe('herd vm show', () => {
  it('prints the VM exactly as the API gave it with -o json', async () => {
    const vm = { ...sampleVm(), extraFieldFromNewerDaemon: 1 };
    const d = await start({ 'GET /api/v1/vms/web1': (_q, res) => sendJson(res, 200, vm) });
    const r = await runCli(['vm', 'show', 'web1', '-o', 'json'], { url: d.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(vm);
  });

  it('prints a key: value block with the allowed actions', async () => {
    const d = await start({ 'GET /api/v1/vms/web1': (_q, res) => sendJson(res, 200, sampleVm()) });
    const r = await runCli(['vm', 'show', 'web1'], { url: d.url });
    expect(r.stdout).toMatch(/^name:\s+web1$/m);
    expect(r.stdout).toMatch(/^memory:\s+256 MiB$/m);
    expect(r.stdout).toMatch(/^actions:\s+stop, restart, pause, delete$/m);
  });

  it('lists the disks under the block, and the cdrom', async () => {
    const spec = {
      ...sampleVm().spec,
      cdrom: 'debian-12',
      disks: [
        { volume: 'web1-root', pool: 'default', format: 'qcow2', sizeBytes: 1024 ** 3, role: 'root', device: 'disk0' },
        { volume: 'data1', pool: 'fast', format: 'raw', sizeBytes: 10 * 1024 ** 3, role: 'data', device: 'disk1' },
      ],
    } satisfies Vm['spec'];
    const d = await start({ 'GET /api/v1/vms/web1': (_q, res) => sendJson(res, 200, sampleVm('web1', { spec })) });
    const r = await runCli(['vm', 'show', 'web1'], { url: d.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cdrom:\s+debian-12 \(boots first\)$/m);
    expect(r.stdout).toMatch(
      /\n\nVOLUME\s+POOL\s+FORMAT\s+SIZE\s+ROLE\s+DEVICE\nweb1-root\s+default\s+qcow2\s+1 GiB\s+root\s+disk0\ndata1\s+fast\s+raw\s+10 GiB\s+data\s+disk1\n$/,
    );
  });

  it('exits 3 with the API message for an unknown VM', async () => {
    const d = await start({
      'GET /api/v1/vms/nope': (_q, res) => sendError(res, 'not_found', { kind: 'vm', name: 'nope' }),
    });
    const r = await runCli(['vm', 'show', 'nope'], { url: d.url });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("herd: vm 'nope' does not exist; list them with `herd vm list`\n");
  });

  it('exits 2 for a bad name without calling the daemon', async () => {
    const d = await start({});
    const r = await runCli(['vm', 'show', 'Web_1'], { url: d.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^herd: 'Web_1' is not a valid name/);
    expect(d.requests).toEqual([]);
  });
});

describe('herd vm create', () => {
  const pending = sampleOp({ kind: 'vm.create', status: 'pending' });
  const running = { ...pending, status: 'running', progress: 50, message: 'creating the disk' } as const;
  const created = sampleVm('web1', { state: 'stopped', desiredState: 'stopped', pid: null });
  const succeeded = { ...pending, status: 'succeeded', progress: 100, result: { vm: created } } as const;

  it('sends sizes as the API wants them, waits for the operation and prints the VM', async () => {
    const d = await start({
      'POST /api/v1/vms': (_q, res) => sendJson(res, 202, pending),
      [`GET /api/v1/operations/${pending.id}`]: operationSequence([running, succeeded]),
    });
    const r = await runCli(
      ['vm', 'create', 'web1', '--image', 'tiny', '--cpus', '2', '--memory', '1G', '--disk', '2G', '--accel', 'tcg', '-o', 'json'],
      { url: d.url },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(d.calls('POST', '/api/v1/vms')[0]?.body).toEqual({
      name: 'web1',
      image: 'tiny',
      cpus: 2,
      memoryMiB: 1024,
      diskBytes: 2 * 1024 ** 3,
      accel: 'tcg',
    });
    expect(d.calls('GET', `/api/v1/operations/${pending.id}`)).toHaveLength(2);
    expect(JSON.parse(r.stdout)).toEqual(created);
  });

  it('reads the VM when the operation result does not carry it', async () => {
    const d = await start({
      'POST /api/v1/vms': (_q, res) => sendJson(res, 202, pending),
      [`GET /api/v1/operations/${pending.id}`]: operationSequence([{ ...succeeded, result: null }]),
      'GET /api/v1/vms/web1': (_q, res) => sendJson(res, 200, created),
    });
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny', '--start'], { url: d.url });
    expect(r.code).toBe(0);
    expect(d.calls('POST', '/api/v1/vms')[0]?.body).toEqual({ name: 'web1', image: 'tiny', start: true });
    expect(r.stdout).toMatch(/^name:\s+web1$/m);
  });

  it('sends the pool of the root disk and the cdrom', async () => {
    const d = await start({ 'POST /api/v1/vms': (_q, res) => sendJson(res, 202, pending) });
    const r = await runCli(['vm', 'create', 'web1', '--image', 'blank', '--pool', 'fast', '--cdrom', 'debian-12', '--no-wait'], { url: d.url });
    expect(r.code).toBe(0);
    expect(d.calls('POST', '/api/v1/vms')[0]?.body).toEqual({ name: 'web1', image: 'blank', pool: 'fast', cdrom: 'debian-12' });
  });

  it('prints only the operation id with --no-wait', async () => {
    const d = await start({ 'POST /api/v1/vms': (_q, res) => sendJson(res, 202, pending) });
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny', '--no-wait'], { url: d.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pending.id}\n`);
    expect(d.requests).toHaveLength(1);
  });

  it('exits 7 with the operation error when the operation fails', async () => {
    const failed = {
      ...pending,
      status: 'failed',
      error: { code: 'qemu_failed', message: "QEMU could not start VM 'web1': no kernel", details: {} },
    } as const;
    const d = await start({
      'POST /api/v1/vms': (_q, res) => sendJson(res, 202, pending),
      [`GET /api/v1/operations/${pending.id}`]: operationSequence([failed]),
    });
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny'], { url: d.url });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("herd: QEMU could not start VM 'web1': no kernel\n");
    expect(r.stdout).toBe('');
  });

  it('exits 4 with the message of a 409', async () => {
    const d = await start({
      'POST /api/v1/vms': (_q, res) => sendError(res, 'name_taken', { kind: 'vm', name: 'web1' }),
    });
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny'], { url: d.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: a vm named 'web1' already exists; choose another name or delete the existing one\n");
  });

  it('exits 5 with the message of a 422', async () => {
    const d = await start({
      'POST /api/v1/vms': (_q, res) => sendError(res, 'accel_unavailable', { accel: 'kvm', reason: '/dev/kvm is missing' }),
    });
    const r = await runCli(['vm', 'create', 'web1', '--image', 'tiny', '--accel', 'kvm'], { url: d.url });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^herd: accelerator 'kvm' is not usable/);
  });

  it.each([
    [['vm', 'create', 'web1', '--image', 'tiny', '--memory', 'lots'], /'lots' is not a size/],
    [['vm', 'create', 'web1', '--image', 'tiny', '--accel', 'xen'], /Allowed choices are auto, kvm, tcg/],
    [['vm', 'create', 'web1'], /required option '--image <image>' not specified/],
    [['vm', 'create', 'web_1', '--image', 'tiny'], /'web_1' is not a valid name/],
    [['vm', 'create', 'web1', '--image', 'tiny', '--cdrom', 'Debian 12'], /'Debian 12' is not a valid name/],
    [['vm', 'frobnicate', 'web1'], /unknown command 'frobnicate'/],
  ])('exits 2 for the usage error in %j', async (args, message) => {
    const d = await start({});
    const r = await runCli(args, { url: d.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.startsWith('herd: ')).toBe(true);
    expect(d.requests).toEqual([]);
  });
});

describe('herd vm stop|start|delete', () => {
  const op = sampleOp({ kind: 'vm.stop', status: 'succeeded', progress: 100 });

  it('sends --force and --timeout, waits, and prints the new state', async () => {
    const d = await start({
      'POST /api/v1/vms/web1/actions/stop': (_q, res) => sendJson(res, 202, op),
      'GET /api/v1/vms/web1': (_q, res) => sendJson(res, 200, sampleVm('web1', { state: 'stopped', pid: null }) satisfies Vm),
    });
    const r = await runCli(['vm', 'stop', 'web1', '--force', '--timeout', '5'], { url: d.url });
    expect(r.code).toBe(0);
    expect(d.calls('POST', '/api/v1/vms/web1/actions/stop')[0]?.body).toEqual({ force: true, timeoutSeconds: 5 });
    expect(r.stdout).toBe("vm 'web1' is stopped\n");
  });

  it('exits 4 with the message when the action is not allowed', async () => {
    const d = await start({
      'POST /api/v1/vms/web1/actions/start': (_q, res) =>
        sendError(res, 'action_not_allowed', { action: 'start', name: 'web1', state: 'running', allowed: 'stop, restart, pause, delete' }),
    });
    const r = await runCli(['vm', 'start', 'web1'], { url: d.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe("herd: cannot start VM 'web1' while it is running; allowed now: stop, restart, pause, delete\n");
  });

  it('deletes and says so', async () => {
    const d = await start({
      'DELETE /api/v1/vms/web1': (_q, res) => sendJson(res, 202, { ...op, kind: 'vm.delete' }),
    });
    const r = await runCli(['vm', 'delete', 'web1', '--yes'], { url: d.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("vm 'web1' deleted\n");
  });
});
