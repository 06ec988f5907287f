#!/usr/bin/env node
// Monitoring benchmark: what the metrics sampler costs with many running tiny VMs.
//
//   node bench/monitor/run.mjs [--vms 50] [--rounds 20] [--interval 2]
//
// Starts a daemon (the node flags herd runs with) sampling every --interval seconds, starts
// --vms tiny guests (128 MiB each, TCG unless KVM is usable), lets the sampler settle, then
// measures over --rounds rounds:
//   CPU per VM per sample   the daemon's own accounting of the CPU time spent in sampling
//                           rounds (process.cpuUsage around each round: /proc reads, QMP
//                           query-blockstats, rate math and the SQLite batch write), divided by
//                           the VM readings taken (herd_sampler_* counters on /metrics)
//   round wall time         herd_sampler_last_round_seconds
//   daemon CPU              all CPU time of the daemon process over the window (/proc/PID/stat),
//                           i.e. sampling plus everything else it does with that many VMs
//   daemon RSS              VmRSS of the daemon, idle and with the VMs running
//   database size           herd.db + WAL after the window
// and prints the figures, with the cost extrapolated to 100 VMs at the default 10 s interval
// (also written to bench/results/monitor-TIME.txt).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HerdClient } from '../../packages/api/dist/index.js';

const repo = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { vms: { type: 'string', default: '50' }, rounds: { type: 'string', default: '20' }, interval: { type: 'string', default: '2' } } });
const wantVms = Number(values.vms);
const rounds = Number(values.rounds);
const interval = Number(values.interval);
const sleep = (t) => new Promise((r) => setTimeout(r, t));
const CLK_TCK = 100;

function startDaemon(dataDir) {
  const child = spawn(
    process.execPath,
    ['--lite-mode', '--max-semi-space-size=1', '--optimize-for-size', '--no-expose-wasm', join(repo, 'packages/daemon/dist/main.js'), '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--log-level', 'info', '--no-default-network', '--metrics-interval', String(interval)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (b) => {
      buf += b.toString();
    });
    const started = Date.now();
    const poll = setInterval(() => {
      const m = /"url":"(http:[^"]+)"/.exec(buf);
      if (m) {
        clearInterval(poll);
        resolve({ child, url: m[1] });
      } else if (Date.now() - started > 30_000) {
        clearInterval(poll);
        reject(new Error(`daemon did not start: ${buf.slice(-500)}`));
      }
    }, 50);
    child.on('exit', (c) => reject(new Error(`daemon exited ${c}: ${buf.slice(-500)}`)));
  });
}

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const cpuTicks = (pid) => {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};
const memAvailableMiB = () => Number(/MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))[1]) / 1024;

async function promValues(url, token) {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const get = (name) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rounds: get('herd_sampler_rounds_total'),
    vmSamples: get('herd_sampler_vm_samples_total'),
    cpuSeconds: get('herd_sampler_cpu_seconds_total'),
    readSeconds: get('herd_sampler_read_cpu_seconds_total'),
    lastRound: get('herd_sampler_last_round_seconds'),
    vms: (text.match(/^herd_vm_info\{/gm) ?? []).length,
  };
}

async function main() {
  const work = mkdtempSync('/tmp/herd-bench-mon-');
  // VMs run as users of their own: they must pass through this directory to reach the data dir.
  chmodSync(work, 0o711);
  const dataDir = join(work, 'd');
  const { child, url } = await startDaemon(dataDir);
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const client = new HerdClient({ url, token });
  let cleaned;
  const cleanup = () =>
    (cleaned ??= (async () => {
      process.stderr.write('deleting the VMs...\n');
      for (const v of await client.call('listVms').catch(() => [])) await client.call('deleteVm', { params: { id: v.id }, query: { wait: true, timeoutSeconds: 60 } }).catch(() => undefined);
      child.kill('SIGTERM');
      await sleep(500);
      rmSync(work, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      process.stderr.write(`${signal}: cleaning up\n`);
      cleanup().finally(() => process.exit(130));
    });
  try {
    await client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
    await sleep(2 * interval * 1000);
    const rssIdle = rssKiB(child.pid);
    // The host's part of a round (/proc/stat, meminfo, loadavg, statfs, the batch write): measured
    // with no VM running, and taken out of the per-VM figure.
    const idle0 = await promValues(url, token);
    let idle1 = idle0;
    while (idle1.rounds - idle0.rounds < Math.min(rounds, 10)) {
      await sleep(interval * 1000);
      idle1 = await promValues(url, token);
    }
    const hostRoundMs = ((idle1.cpuSeconds - idle0.cpuSeconds) / (idle1.rounds - idle0.rounds)) * 1000;
    const hostReadMs = ((idle1.readSeconds - idle0.readSeconds) / (idle1.rounds - idle0.rounds)) * 1000;
    process.stderr.write(`starting ${wantVms} tiny VMs (128 MiB each)...\n`);
    let started = 0;
    for (let i = 0; i < wantVms; i++) {
      if (memAvailableMiB() < 2048) {
        process.stderr.write(`stopping at ${started} VMs: under 2 GiB of host memory left\n`);
        break;
      }
      await client.call('createVm', { body: { name: `mon${i}`, image: 'tiny', memoryMiB: 128, start: true }, query: { wait: true, timeoutSeconds: 300 } });
      started++;
      if (started % 10 === 0) process.stderr.write(`  ${started} running\n`);
    }
    // Let the guests finish booting and the sampler see them all at least twice.
    await sleep(Math.max(10_000, 3 * interval * 1000));
    const before = await promValues(url, token);
    const ticks0 = cpuTicks(child.pid);
    const t0 = Date.now();
    process.stderr.write(`measuring ${rounds} rounds of ${interval} s...\n`);
    let after = before;
    while (after.rounds - before.rounds < rounds) {
      await sleep(interval * 1000);
      after = await promValues(url, token);
    }
    const elapsed = (Date.now() - t0) / 1000;
    const daemonCpu = (cpuTicks(child.pid) - ticks0) / CLK_TCK;
    const rssLoaded = rssKiB(child.pid);
    const dbBytes = ['herd.db', 'herd.db-wal'].map((f) => join(dataDir, f)).filter(existsSync).reduce((a, f) => a + statSync(f).size, 0);

    const dRounds = after.rounds - before.rounds;
    const dSamples = after.vmSamples - before.vmSamples;
    const dCpu = after.cpuSeconds - before.cpuSeconds;
    const perRoundMs = (dCpu / dRounds) * 1000;
    const vmsSampled = dSamples / dRounds;
    const perVmMs = (perRoundMs - hostRoundMs) / vmsSampled;
    const perVmReadMs = (((after.readSeconds - before.readSeconds) / dRounds) * 1000 - hostReadMs) / vmsSampled;
    const share100 = ((perVmMs * 100 + hostRoundMs) / 10_000) * 100; // % of one CPU, 100 VMs, 10 s
    const lines = [
      `herd monitoring benchmark, ${new Date().toISOString()}, ${started} tiny VMs running, ${dRounds} rounds every ${interval} s, host load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      '',
      `sampler CPU per VM per sample:   ${perVmMs.toFixed(3)} ms  (round: ${perRoundMs.toFixed(1)} ms CPU for ${vmsSampled.toFixed(1)} VMs + host; host part alone ${hostRoundMs.toFixed(1)} ms; last round ${(after.lastRound * 1000).toFixed(1)} ms wall)`,
      `  of which /proc reads and math: ${perVmReadMs.toFixed(3)} ms (the rest: QMP query-blockstats, the SQLite batch, and what ran meanwhile, e.g. alert and anomaly listeners)`,
      `  at 100 VMs every 10 s:          ${share100.toFixed(2)}% of one CPU`,
      `daemon CPU, all work:            ${((daemonCpu / elapsed) * 100).toFixed(2)}% of one CPU over ${elapsed.toFixed(0)} s (sampling every ${interval} s)`,
      `daemon RSS:                      ${(rssIdle / 1024).toFixed(1)} MiB idle, ${(rssLoaded / 1024).toFixed(1)} MiB with ${started} running VMs`,
      `database (herd.db + WAL):        ${(dbBytes / 1024 / 1024).toFixed(1)} MiB after ~${Math.round((Date.now() - t0) / 1000 + 10)} s of samples`,
      `/metrics lists ${after.vms} VMs`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repo, 'bench', 'results', `monitor-${Date.now()}.txt`), `${lines.join('\n')}\n`);
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
