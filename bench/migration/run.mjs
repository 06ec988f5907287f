#!/usr/bin/env node
// Migration benchmark: live migration of an idle tiny guest between two QEMUs on this host, over
// tcp:127.0.0.1, done two ways side by side in one run:
//   raw    QEMU with its default migration settings, driven through a plain QMP socket
//          (raw-qmp.mjs, no herd code): the destination started with `-incoming tcp:...`,
//          `migrate`, `query-migrate` polled until completed; the destination starts by itself.
//   herd   herd's own path (packages/daemon/dist): QEMUs launched by launchQemu from a
//          LaunchSpec (the destination with `incoming`), then setMigrationOptions with herd's
//          defaults on both, listenIncoming, migrate, awaitIncoming and `cont`.
//
//   npx tsc -b packages/api packages/daemon packages/cli
//   node bench/migration/run.mjs [--rounds 5] [--memory 256]
//
// Each column boots its guest once (the tiny image: 1 vCPU, --memory MiB, TCG, its own qcow2
// overlay, which source and destination share) and lets it idle; every round then moves it to a
// fresh destination QEMU and quits the old one. The two columns alternate which goes first.
// Per migration (medians in the table; bench/migration/README.md says more):
//   total, downtime, setup   QEMU's own figures from query-migrate on the source
//   guest paused             the source's STOP event to the destination's RESUME event (both
//                            QEMUs stamp events with this host's clock): how long the guest
//                            really stood still, including the destination's load and start
//   migrate to running       wall clock from sending `migrate` until the destination's RESUME
//                            arrived, as the caller sees it
//   transferred, passes      bytes sent and passes over memory (dirty-sync-count)
// A column is an object made by a function in `COLUMNS` (see rawColumn): another one, such as a
// migration between two herd daemons, is added there and gets its own row values and ratio.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { eventMs, openQmp } from './raw-qmp.mjs';

const repo = join(import.meta.dirname, '..', '..');
const dist = join(repo, 'packages', 'daemon', 'dist');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, memory: { type: 'string', default: '256' } } });
const rounds = Number(values.rounds);
const memoryMiB = Number(values.memory);
const MiB = 1024 * 1024;
const LOOPBACK = '127.0.0.1';
// An idle guest, not one still settling after boot (the tiny guest's DHCP loop starts then).
const SETTLE_MS = 3000;

const sleep = (t) => new Promise((r) => setTimeout(r, t));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** A TCP port nothing listens on just now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `text` is in the file at `path` (QEMU's serial log). */
async function waitForText(path, text, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  while (!(existsSync(path) && readFileSync(path, 'utf8').includes(text))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${text} in ${path}`);
    await sleep(50);
  }
}

/** Alive and not a zombie (PID 1 here reaps exited QEMUs late). */
function alive(pid) {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves with the first event `name` from `subscribe`, and when it arrived here. */
function nextEvent(subscribe, name) {
  return new Promise((resolve) => {
    const off = subscribe((e) => {
      if (e.event !== name) return;
      off();
      resolve({ event: e, arrivedAt: performance.now() });
    });
  });
}

/** The figures of one migration: QEMU's own (as herd's MigrationResult names them) and those of the STOP/RESUME events. */
function figures(qemu, stop, resume, startedAt) {
  return {
    totalMs: qemu.totalMs,
    downtimeMs: qemu.downtimeMs,
    setupMs: qemu.setupMs,
    pausedMs: eventMs(resume.event) - eventMs(stop.event),
    wallMs: resume.arrivedAt - startedAt,
    transferredMiB: qemu.transferredBytes / MiB,
    passes: qemu.dirtyPassCount,
  };
}

/**
 * raw: the guest as a person runs it, `-daemonize`d QEMUs with a minimal device model (that of
 * bench/lifecycle's raw QEMU), migrated with QEMU's defaults (no capability or parameter set).
 */
function rawColumn(ctx) {
  const pids = [];
  let current;
  let n = 0;
  async function launch(extra) {
    const dir = join(ctx.work, `raw${n++}`);
    mkdirSync(dir);
    const args = [
      '-machine', 'pc', '-accel', 'tcg', '-cpu', 'max', '-smp', '1', '-m', `${memoryMiB}M`,
      '-nodefaults', '-no-user-config', '-display', 'none',
      '-daemonize', '-pidfile', join(dir, 'pid'),
      '-qmp', `unix:${join(dir, 'qmp.sock')},server=on,wait=off`,
      '-serial', `file:${join(dir, 'console.log')}`,
      '-blockdev', `driver=file,node-name=root-file,filename=${ctx.overlay('raw')}`,
      '-blockdev', 'driver=qcow2,node-name=root-fmt,file=root-file',
      '-device', 'virtio-blk-pci,drive=root-fmt,id=root',
      '-kernel', ctx.image.kernel, '-initrd', ctx.image.initrd, '-append', ctx.image.cmdline,
      ...extra,
    ];
    const r = spawnSync('qemu-system-x86_64', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`raw QEMU did not start: ${r.stderr}`);
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    pids.push(pid);
    return { pid, dir, qmp: await openQmp(join(dir, 'qmp.sock')) };
  }
  return {
    name: 'raw',
    async start() {
      current = await launch([]);
      await waitForText(join(current.dir, 'console.log'), 'HERD-GUEST-READY');
    },
    async migrateOnce() {
      const port = await freePort();
      const dst = await launch(['-incoming', `tcp:${LOOPBACK}:${port}`]);
      const stop = nextEvent(current.qmp.onEvent, 'STOP');
      const resume = nextEvent(dst.qmp.onEvent, 'RESUME');
      const startedAt = performance.now();
      await current.qmp.execute('migrate', { uri: `tcp:${LOOPBACK}:${port}` });
      let info;
      for (;;) {
        info = await current.qmp.execute('query-migrate');
        if (['completed', 'failed', 'cancelled'].includes(info.status)) break;
        await sleep(50);
      }
      if (info.status !== 'completed') throw new Error(`raw migration ${info.status}: ${info['error-desc'] ?? ''}`);
      const qemu = { totalMs: info['total-time'], downtimeMs: info.downtime, setupMs: info['setup-time'], transferredBytes: info.ram.transferred, dirtyPassCount: info.ram['dirty-sync-count'] };
      const result = figures(qemu, await stop, await resume, startedAt);
      current.qmp.execute('quit').catch(() => undefined);
      await current.qmp.closed;
      current = dst;
      return result;
    },
    async close() {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}

/** herd: QEMUs launched from a LaunchSpec by herd's launcher, migrated through qmp-migrate.ts with herd's defaults. */
async function herdColumn(ctx) {
  const { launchQemu } = await import(join(dist, 'qemu', 'launch.js'));
  const { QmpClient } = await import(join(dist, 'qemu', 'qmp-client.js'));
  const { qmpSocketPath } = await import(join(dist, 'qemu', 'launch-spec.js'));
  const m = await import(join(dist, 'qemu', 'qmp-migrate.js'));
  const pids = [];
  const uuid = randomUUID();
  const disk = ctx.overlay('herd');
  let current;
  let n = 0;
  async function launch(incoming) {
    const runDir = join(ctx.work, `herd${n++}`);
    const spec = {
      uuid, name: 'bench', accel: 'tcg', cpus: 1, memoryMiB, runDir, consoleLog: join(runDir, 'console.log'),
      boot: { kind: 'kernel', kernel: ctx.image.kernel, initrd: ctx.image.initrd, cmdline: ctx.image.cmdline },
      disks: [{ id: 'root', path: disk, format: 'qcow2' }],
      ...(incoming ? { incoming: true } : {}),
    };
    const { pid } = await launchQemu(spec);
    pids.push(pid);
    return { pid, spec, qmp: await QmpClient.connect(qmpSocketPath(runDir)) };
  }
  const subscribe = (qmp) => (fn) => qmp.on('event', fn);
  return {
    name: 'herd',
    async start() {
      current = await launch(false);
      await waitForText(current.spec.consoleLog, 'HERD-GUEST-READY');
    },
    async migrateOnce() {
      const dst = await launch(true);
      await m.setMigrationOptions(current.qmp);
      await m.setMigrationOptions(dst.qmp);
      const [address] = await m.listenIncoming(dst.qmp, `tcp:${LOOPBACK}:0`);
      const stop = nextEvent(subscribe(current.qmp), 'STOP');
      const resume = nextEvent(subscribe(dst.qmp), 'RESUME');
      const startedAt = performance.now();
      const qemu = await m.migrate(current.qmp, m.tcpUri(address));
      await m.awaitIncoming(dst.qmp);
      await dst.qmp.cont();
      const result = figures(qemu, await stop, await resume, startedAt);
      await current.qmp.quit();
      await current.qmp.disconnected;
      current = dst;
      return result;
    },
    async close() {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}

/** The columns of the table, in order; the first is the baseline the others are divided by. */
const COLUMNS = [rawColumn, herdColumn];

const METRICS = [
  ['total, query-migrate (ms)', 'totalMs', 1],
  ['downtime, query-migrate (ms)', 'downtimeMs', 1],
  ['setup, query-migrate (ms)', 'setupMs', 1],
  ['guest paused, STOP to RESUME (ms)', 'pausedMs', 1],
  ['migrate to guest running (ms)', 'wallMs', 1],
  ['transferred (MiB)', 'transferredMiB', 1],
  ['passes over memory', 'passes', 0],
];

async function main() {
  const work = mkdtempSync('/tmp/herd-bench-mig-');
  const columns = [];
  let cleaned;
  const cleanup = () =>
    (cleaned ??= (async () => {
      for (const c of columns) await c.close().catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      process.stderr.write(`${signal}: cleaning up\n`);
      cleanup().finally(() => process.exit(130));
    });
  try {
    process.stderr.write('building the tiny image...\n');
    const { buildTinyImage } = await import(join(dist, 'images', 'tiny', 'build-tiny-image.js'));
    const image = await buildTinyImage(join(work, 'image'));
    const ctx = {
      work,
      image,
      /** A qcow2 overlay of the tiny disk for column `name`, made once; its QEMUs share it. */
      overlay(name) {
        const path = join(work, `${name}.qcow2`);
        if (!existsSync(path)) spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'qcow2', path]);
        return path;
      },
    };
    for (const make of COLUMNS) columns.push(await make(ctx));
    process.stderr.write(`booting ${columns.length} guests (${memoryMiB} MiB each)...\n`);
    for (const c of columns) await c.start();
    await sleep(SETTLE_MS);
    const loadBefore = load();
    const results = Object.fromEntries(columns.map((c) => [c.name, []]));
    for (let i = 0; i < rounds; i++) {
      process.stderr.write(`round ${i + 1}/${rounds}\n`);
      const order = i % 2 === 0 ? columns : [...columns].reverse();
      for (const c of order) {
        results[c.name].push(await c.migrateOnce(i));
        await sleep(500);
      }
    }

    const names = columns.map((c) => c.name);
    const base = names[0];
    const ratios = names.slice(1).map((x) => `${x}/${base}`);
    const fmt = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    const lines = [
      `herd migration benchmark, ${new Date().toISOString()}, ${rounds} rounds, ${memoryMiB} MiB idle tiny guest, TCG, source and destination on this host over tcp:${LOOPBACK}`,
      `load average ${loadBefore} before, ${load()} after`,
      '',
      `${'metric (median)'.padEnd(36)}${names.map((x) => x.padStart(10)).join('')}${ratios.map((x) => x.padStart(11)).join('')}`,
    ];
    for (const [label, key, digits] of METRICS) {
      const med = names.map((x) => median(results[x].map((r) => r[key])));
      lines.push(`${label.padEnd(36)}${med.map((v) => fmt(v, digits).padStart(10)).join('')}${med.slice(1).map((v) => fmt(v / med[0], 3).padStart(11)).join('')}`);
    }
    lines.push('');
    for (const x of names) {
      lines.push(`${x} per round, total/downtime/paused (ms): ${results[x].map((r) => `${r.totalMs}/${r.downtimeMs}/${fmt(r.pausedMs, 1)}`).join(', ')}`);
    }
    console.log(lines.join('\n'));
    mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repo, 'bench', 'results', `migration-${Date.now()}.json`), `${JSON.stringify({ rounds, memoryMiB, loadBefore, results }, null, 2)}\n`);
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
