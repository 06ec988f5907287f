#!/usr/bin/env node
// Scheduler benchmark: 10,000 VMs placed one by one onto 1,000 simulated hosts through the
// scheduler's ClaimLedger (each placement sees the claims before it), against the target of the
// cluster issue: all 10,000 placements in under a second in total. There is no external baseline.
//
//   npx tsc -b packages/daemon      # the bench imports packages/daemon/dist/scheduler
//   node bench/scheduler/run.mjs [--hosts 1000] [--vms 10000] [--rounds 3] [--explain 200]
//                                [--strategy spread|pack] [--seed 1]
//
// The cluster and the VMs are generated from --seed (makeHosts and makeVms below say what they
// hold). The same run is measured twice, each in a fresh Node process:
//   daemon flags   node --lite-mode ... as `herd serve` runs: V8's interpreter only, no
//                  optimizing compiler; what the scheduler will cost inside the daemon
//   plain node     node with its JIT, for comparison
// and in each, --rounds rounds (a fresh ledger each; round 1 is cold, before the JIT has warmed):
//   total          wall time of the loop placing all VMs, including the failed ones; CPU time
//                  (process.cpuUsage, all threads: GC and compiler threads count) beside it
//   per placement  p50 / p99 / max of each ledger.place() call (process.hrtime)
//   failed         VMs no host fits (their message is built, as it would be in use)
//   mem used       share of the cluster's memory claimed at the end
//   explain        ledger.explain() on --explain VMs against the filled cluster: p50 / p99
// Prints a table and one failure message, and writes the figures to
// bench/results/scheduler-TIME.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const repo = join(import.meta.dirname, '..', '..');
const dist = join(repo, 'packages', 'daemon', 'dist', 'scheduler', 'index.js');
const daemonNodeFlags = ['--lite-mode', '--max-semi-space-size=1', '--optimize-for-size', '--no-expose-wasm'];
const TARGET_MS = 1000;

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    vms: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    explain: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    strategy: { type: 'string', default: 'spread' },
    child: { type: 'boolean', default: false },
  },
});
const opts = { hosts: Number(values.hosts), vms: Number(values.vms), rounds: Number(values.rounds), explain: Number(values.explain), seed: Number(values.seed), strategy: values.strategy };

/** mulberry32: a small seeded PRNG, so every run and both processes see the same cluster. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (random, weighted) => {
  let x = random() * weighted.reduce((s, [w]) => s + w, 0);
  for (const [w, v] of weighted) if ((x -= w) < 0) return v;
  return weighted.at(-1)[1];
};

/**
 * 1,000 hosts: 40% 16 cores / 64 GiB, 40% 32 / 128 GiB, 20% 64 / 512 GiB; 4 zones, 5% with a
 * GPU label, 1% in maintenance, 10% TCG only, 10% with their own CPU overcommit (8.0), pools and
 * networks reachable from some, CPU load from metrics on 90%.
 */
function makeHosts(random, n) {
  const sizes = [
    [40, { cpus: 16, memoryMiB: 64 * 1024, diskGiB: 1000 }],
    [40, { cpus: 32, memoryMiB: 128 * 1024, diskGiB: 2000 }],
    [20, { cpus: 64, memoryMiB: 512 * 1024, diskGiB: 4000 }],
  ];
  return Array.from({ length: n }, (_, i) => ({
    name: `host-${String(i).padStart(4, '0')}`,
    ...pick(random, sizes),
    used: { vcpus: 0, memoryMiB: 0, diskGiB: 0 },
    ...(random() < 0.1 ? { overcommit: { cpu: 8.0 } } : {}),
    labels: { zone: `z${i % 4}`, rack: `r${Math.floor(i / 20)}`, ...(random() < 0.05 ? { gpu: 'true' } : {}), ...(random() < 0.5 ? { disk: 'ssd' } : {}) },
    maintenance: random() < 0.01,
    accel: random() < 0.1 ? 'tcg' : 'kvm',
    pools: ['local', ...(random() < 0.8 ? ['ceph'] : []), ...(random() < 0.3 ? ['nfs'] : [])],
    networks: ['default', ...(random() < 0.7 ? ['prod'] : []), ...(random() < 0.2 ? ['vxlan-12'] : [])],
    ...(random() < 0.9 ? { load: { cpu: random() } } : {}),
    groups: {},
  }));
}

/**
 * 10,000 VMs: 30% 1 vCPU / 1 GiB, 30% 2 / 4 GiB, 25% 4 / 16 GiB, 15% 8 / 64 GiB (about 85% of
 * the cluster's memory in all); half need KVM, 20% pick a zone, 1% a GPU, some a pool or
 * networks; 400 in ten hard anti-affinity groups (db-0..9, max 1 per host), 400 in one soft
 * anti-affinity group (web, max 2 per host), 200 in hard affinity pairs, 5% high priority.
 */
function makeVms(random, n) {
  const sizes = [
    [30, { vcpus: 1, memoryMiB: 1024, diskGiB: 10 }],
    [30, { vcpus: 2, memoryMiB: 4096, diskGiB: 40 }],
    [25, { vcpus: 4, memoryMiB: 16384, diskGiB: 80 }],
    [15, { vcpus: 8, memoryMiB: 65536, diskGiB: 200 }],
  ];
  const vms = [];
  for (let i = 0; i < n; i++) vms.push(makeVm(i));
  return vms;

  function makeVm(i) {
    const groups = [];
    if (i % 25 === 0) groups.push({ name: `db-${(i / 25) % 10}`, policy: 'anti-affinity', hard: true });
    else if (i % 25 === 1) groups.push({ name: 'web', policy: 'anti-affinity', hard: false, maxPerHost: 2 });
    else if (i % 50 === 2 || i % 50 === 3) groups.push({ name: `pair-${Math.floor(i / 50)}`, policy: 'affinity', hard: true });
    const r = random();
    // The second VM of a pair asks for what the first did (else the pair could not be together).
    if (i % 50 === 3) return { ...vms[i - 1], name: `vm-${String(i).padStart(5, '0')}`, groups };
    return {
      name: `vm-${String(i).padStart(5, '0')}`,
      ...pick(random, sizes),
      ...(random() < 0.5 ? { accel: 'kvm' } : {}),
      ...(r < 0.2 ? { selector: { zone: `z${Math.floor(random() * 4)}` } } : r < 0.21 ? { selector: { gpu: 'true' } } : {}),
      ...(random() < 0.3 ? { pool: 'ceph' } : {}),
      ...(random() < 0.4 ? { networks: random() < 0.1 ? ['prod', 'vxlan-12'] : ['prod'] } : {}),
      ...(random() < 0.05 ? { priority: 10 } : {}),
      ...(groups.length ? { groups } : {}),
    };
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const now = () => process.hrtime.bigint();
const msSince = (t0) => Number(now() - t0) / 1e6;

/** Runs inside the measured process: the rounds, the explain sample; prints JSON on stdout. */
async function measure() {
  const { ClaimLedger, schedulerConfig } = await import(dist);
  const config = schedulerConfig({ strategy: opts.strategy });
  const random = seeded(opts.seed);
  const hosts = makeHosts(random, opts.hosts);
  const vms = makeVms(random, opts.vms);
  const rounds = [];
  let ledger;
  for (let r = 0; r < opts.rounds; r++) {
    ledger = new ClaimLedger(hosts, config);
    const times = new Float64Array(vms.length);
    let failures = 0;
    let sample;
    const cpu0 = process.cpuUsage();
    const t0 = now();
    for (let i = 0; i < vms.length; i++) {
      const t = now();
      const placed = ledger.place(vms[i]);
      times[i] = msSince(t);
      if (!placed.ok) {
        failures++;
        sample ??= placed.error.message;
      }
    }
    const totalMs = msSince(t0);
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const sorted = times.sort();
    const memUsed = ledger.hosts.reduce((s, h) => s + h.used.memoryMiB, 0) / hosts.reduce((s, h) => s + h.memoryMiB, 0);
    rounds.push({ totalMs, cpuMs, perSecond: vms.length / (totalMs / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1), failures, memoryUsed: memUsed, failureSample: sample?.slice(0, 400) });
  }
  const explainTimes = [];
  const step = Math.max(1, Math.floor(vms.length / opts.explain));
  for (let i = 0; i < vms.length && explainTimes.length < opts.explain; i += step) {
    const t = now();
    ledger.explain(vms[i]);
    explainTimes.push(msSince(t));
  }
  explainTimes.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ rounds, explain: { count: explainTimes.length, p50: percentile(explainTimes, 50), p99: percentile(explainTimes, 99) } }));
}

function runIn(label, flags) {
  process.stderr.write(`measuring with ${label}...\n`);
  const args = [...flags, import.meta.filename, '--child', ...Object.entries(opts).flatMap(([k, v]) => [`--${k}`, String(v)])];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`${label}: exit ${child.status}\n${child.stderr}`);
  return { label, flags, ...JSON.parse(child.stdout) };
}

function main() {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: build the daemon first (npx tsc -b packages/daemon)`);
  const runs = [runIn('daemon flags', daemonNodeFlags), runIn('plain node', [])];
  const f = (x, d = 1) => x.toFixed(d);
  const lines = [`herd scheduler benchmark, ${new Date().toISOString()}, node ${process.version}, ${opts.vms} VMs onto ${opts.hosts} hosts one by one (${opts.strategy}), ${opts.rounds} rounds, seed ${opts.seed}`, ''];
  lines.push(`${'node'.padEnd(14)}${'round'.padStart(6)}${'total ms'.padStart(10)}${'CPU ms'.padStart(8)}${'placed/s'.padStart(10)}${'p50 µs'.padStart(9)}${'p99 µs'.padStart(9)}${'max ms'.padStart(8)}${'failed'.padStart(8)}${'mem used'.padStart(10)}${'target'.padStart(9)}`);
  for (const run of runs)
    run.rounds.forEach((r, i) =>
      lines.push(
        `${(i === 0 ? run.label : '').padEnd(14)}${String(i + 1).padStart(6)}${f(r.totalMs).padStart(10)}${f(r.cpuMs, 0).padStart(8)}${f(r.perSecond, 0).padStart(10)}${f(r.p50 * 1000, 0).padStart(9)}${f(r.p99 * 1000, 0).padStart(9)}${f(r.max, 2).padStart(8)}${String(r.failures).padStart(8)}${`${f(r.memoryUsed * 100)}%`.padStart(10)}${(r.totalMs < TARGET_MS ? `<${TARGET_MS} ok` : `<${TARGET_MS} MISS`).padStart(9)}`,
      ),
    );
  lines.push('');
  for (const run of runs) lines.push(`explain (${run.label}), ${run.explain.count} VMs against the filled cluster: p50 ${f(run.explain.p50, 2)} ms, p99 ${f(run.explain.p99, 2)} ms`);
  const sample = runs[0].rounds[0].failureSample;
  if (sample) lines.push('', `a failure, as reported: ${sample}${sample.length >= 400 ? '…' : ''}`);
  console.log(lines.join('\n'));
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repo, 'bench', 'results', `scheduler-${Date.now()}.json`), `${JSON.stringify({ options: opts, targetMs: TARGET_MS, node: process.version, runs }, null, 2)}\n`);
}

if (values.child) await measure();
else main();
