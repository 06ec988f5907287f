#!/usr/bin/env node
// Network benchmark: guest-to-guest latency and throughput on a herd nat network, side by side
// with the same two QEMUs on a bridge made by hand, and how long herd takes to create a network
// and hot-plug a NIC. bench/README.md says how to run it and what it measures.
//
//   node bench/network/run.mjs [--rounds 3] [--pings 50] [--count N] [--seconds 4] [--hand-netfilter]
//
// Needs root (namespaces, bridges, taps) and a built tree (`npm run build`). Everything happens
// in two network namespaces the run makes and removes: "a" holds a herd daemon with nat network
// `bench` and VMs a and b on it; "b" holds bridge br0, two taps, busybox udhcpd and two QEMUs
// started with herd's own buildArgv (same kernel, initrd, disk, devices and MTU). Only one pair
// runs at a time: the other is paused (QMP stop), and the sides take turns, the first one
// alternating from round to round, so load drifts on this shared machine hit both.
//
// What is timed:
//   latency     in guest a: `ping -c PINGS -i 0.2 B`; avg, mdev and min of the reply times.
//   throughput  b runs `nc -l -p 5001 > /dev/null`; a times, with its own clock (/proc/uptime),
//               `dd if=/dev/zero bs=64k count=N | nc B 5001`. N is picked by a warm-up transfer
//               on each side so that one takes about --seconds, unless --count gives it.
//   network     herd: POST /networks (nat) until its 201; by hand: ip link add + ip addr add +
//               ip link set up + udhcpd until it listens (no NAT rules, no DNS: less work).
//   NIC         hot-plug into running guest a, on that new network: until the operation has
//               succeeded (herd: POST /vms/a/nics?wait=true; by hand: ip tuntap + ip link set
//               master + QMP netdev_add + device_add), and until the guest answers pings on the
//               new NIC's address (its DHCP client looks for new NICs once a second).
//
// --hand-netfilter gives the hand-made br0 what herd's bridge has on the data path (bridged
// frames through the IP hooks, conntrack, herd's nat table), to tell that path's cost from the
// rest of herd's setup.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BLOCK_BYTES, listenCommand, parsePing, parseTransfer, pingCommand, transferCommand } from './guest-measurements.mjs';
import { openHandSide } from './hand-side.mjs';
import { openHerdSide } from './herd-side.mjs';
import { cpuMs } from './host.mjs';

const repo = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    pings: { type: 'string', default: '50' },
    count: { type: 'string' },
    seconds: { type: 'string', default: '4' },
    'hand-netfilter': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const pings = Number(values.pings);
const targetSeconds = Number(values.seconds);

const CIDR = '10.77.0.0/24';
const IPS = { a: '10.77.0.11', b: '10.77.0.12' };
const HOT = { cidr: '10.79.0.0/24', ip: '10.79.0.50', mac: '52:54:00:be:01:0a' };
const PORT = 5001;
/** Blocks of the warm-up transfer that also sizes the measured ones. */
const WARMUP_COUNT = 64;

// A side (herd-side.mjs, hand-side.mjs) is { label, ips, shells: { a, b } (guest shells, see
// guest-shell.mjs), qemuArgv(name), qemuPids(), perVmNames(name), links(), nftTables(), pause(),
// resume(), timeNetworkCreate(name, cidr, leases), deleteNetwork(name), timeHotplug(vm, { network,
// ip, mac }) → { opMs, addressMs, device, tap }, removeNic(vm, device, tap), close() }. The herd
// side also has image (the tiny image's files), accel and daemonPid.

const progress = (msg) => process.stderr.write(`${msg}\n`);
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const load = () => loadavg().map((x) => Number(x.toFixed(2)));

/** Latency, then a transfer of `count` blocks, from a to b; the side's guests must be running. */
async function measureDataPlane(side, count) {
  const ping = parsePing(await side.shells.a.run(pingCommand(side.ips.b, pings, 0.2), 60_000 + pings * 2000), pings);
  const listening = await side.shells.b.run(listenCommand(PORT));
  if (!listening.includes('listening')) throw new Error(`${side.label}: nc -l did not listen on b: ${listening}`);
  const cpu0 = cpuMs(side.qemuPids());
  const transfer = parseTransfer(await side.shells.a.run(transferCommand(side.ips.b, PORT, count), 900_000), count);
  // Host CPU both QEMUs spent on it (the host's side of the tap and bridge runs in their
  // threads too): a second view next to MB/s, which swings with whatever else the machine runs.
  transfer.qemuCpuMsPerMB = (cpuMs(side.qemuPids()) - cpu0) / ((count * BLOCK_BYTES) / 1e6);
  return { ping, transfer };
}

/** Creates a second network, hot-plugs a NIC on it into a, then removes both again. */
async function measureControlPlane(side) {
  const network = await side.timeNetworkCreate('hot', HOT.cidr, { [HOT.mac]: HOT.ip });
  const nic = await side.timeHotplug('a', { network: 'hot', ip: HOT.ip, mac: HOT.mac });
  await side.removeNic('a', nic.device, nic.tap);
  await side.deleteNetwork('hot');
  return { network, nicOp: nic.opMs, nicAddress: nic.addressMs };
}

/** Tallies the CPU time of process `pid` (the herd daemon) and the wall time of each side's turns. */
function loadMeter(pid) {
  const by = { herd: { cpuMs: 0, wallMs: 0 }, 'by hand': { cpuMs: 0, wallMs: 0 } };
  return {
    by,
    async during(label, fn) {
      const [cpu0, t0] = [cpuMs([pid]), Date.now()];
      try {
        return await fn();
      } finally {
        by[label].cpuMs += cpuMs([pid]) - cpu0;
        by[label].wallMs += Date.now() - t0;
      }
    },
  };
}

/**
 * Runs `fn(side)` on each side in turn, resuming it first and pausing it after; `first` goes
 * first. With `meter` ({@link loadMeter}), each turn is tallied.
 */
async function inTurn(sides, first, fn, meter) {
  const out = {};
  for (const side of first === 0 ? sides : [...sides].reverse()) {
    await side.resume();
    try {
      out[side.label] = meter ? await meter.during(side.label, () => fn(side)) : await fn(side);
    } finally {
      await side.pause();
    }
  }
  return out;
}

/**
 * Masks what legitimately differs between two VMs' argvs (uuids, name, NIC ids, taps, MACs, and
 * directories, keeping file names) so that the rest can be compared word for word.
 */
function normalizeArgv(argv, names) {
  return argv.map((word) => {
    let w = word.replace(/\/[^\s,=]*\/([^\s,/=]+)/g, '…/$1');
    for (const [list, mask] of [[names.nicIds, 'NIC'], [names.taps, 'TAP'], [names.macs, 'MAC']]) for (const x of list) w = w.split(x).join(mask);
    w = w.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID');
    return w.replace(/guest=[^,]+/, 'guest=NAME').replace(/herd\.hostname=\S+/, 'herd.hostname=NAME');
  });
}

function compareArgv(herd, hand) {
  const diffs = [];
  for (const name of ['a', 'b']) {
    const h = normalizeArgv(herd.qemuArgv(name), herd.perVmNames(name));
    const m = normalizeArgv(hand.qemuArgv(name), hand.perVmNames(name));
    const n = Math.max(h.length, m.length);
    for (let i = 0; i < n; i++) if (h[i] !== m[i]) diffs.push(`${name}[${i}]: herd '${h[i]}' vs by hand '${m[i]}'`);
  }
  return diffs;
}

/** The bridge options and tap flags that shape the data path, from `ip -d link show`. */
function linkTraits(text) {
  const pick = (re) => [...new Set([...text.matchAll(re)].map((m) => m[0]))].join(', ');
  return { bridge: pick(/nf_call_iptables \d|stp_state \d|forward_delay \d+/g), taps: pick(/vnet_hdr \w+|tun type \w+ pi \w+|(?<!\w)mtu \d+/g) };
}

async function main() {
  const work = mkdtempSync('/tmp/herd-bench-net-');
  // VMs run as users of their own: they must pass through this directory to reach the data dir.
  chmodSync(work, 0o711);
  // herd's dnsmasq runs as nobody and must reach its files under the data dir: every directory
  // above it must let others search it.
  chmodSync(work, 0o711);
  mkdirSync(join(work, 'herd'), { mode: 0o711 });
  const sides = [];
  let cleaned;
  const cleanup = () =>
    (cleaned ??= (async () => {
      for (const side of [...sides].reverse()) await side.close();
      rmSync(work, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      progress(`${signal}: cleaning up`);
      cleanup().finally(() => process.exit(130));
    });
  try {
    const loadBefore = load();
    const herd = await openHerdSide({ work: join(work, 'herd'), cidr: CIDR, ips: IPS, progress });
    sides.push(herd);
    const hand = await openHandSide({ work: join(work, 'hand'), image: herd.image, accel: herd.accel, cidr: CIDR, ips: IPS, netfilter: values['hand-netfilter'], progress });
    sides.push(hand);
    const argvDiffs = compareArgv(herd, hand);
    const setup = {
      herd: { ...linkTraits(herd.links()), nft: herd.nftTables() },
      hand: { ...linkTraits(hand.links()), nft: hand.nftTables() },
    };
    await herd.pause();
    await hand.pause();

    progress('warm-up transfers...');
    const warm = await inTurn(sides, 0, async (side) => {
      await side.shells.a.run(`ping -c 3 -i 0.2 ${side.ips.b} >/dev/null`, 30_000);
      await side.shells.b.run(listenCommand(PORT));
      return parseTransfer(await side.shells.a.run(transferCommand(side.ips.b, PORT, WARMUP_COUNT), 600_000), WARMUP_COUNT);
    });
    const warmRate = median(Object.values(warm).map((t) => t.mbPerS));
    const count = values.count ? Number(values.count) : Math.min(16384, Math.max(32, Math.round((targetSeconds * warmRate * 1e6) / BLOCK_BYTES)));
    progress(`warm-up: herd ${warm.herd.mbPerS.toFixed(2)} MB/s, by hand ${warm['by hand'].mbPerS.toFixed(2)} MB/s; transfers of ${count} x 64 KiB`);

    const data = [];
    const daemonLoad = loadMeter(herd.daemonPid);
    for (let r = 0; r < rounds; r++) {
      progress(`data plane, round ${r + 1}/${rounds}`);
      data.push(await inTurn(sides, r % 2, (side) => measureDataPlane(side, count), daemonLoad));
    }
    const control = [];
    for (let r = 0; r < rounds; r++) {
      progress(`control plane, round ${r + 1}/${rounds}`);
      control.push(await inTurn(sides, r % 2, measureControlPlane));
    }
    const loadAfter = load();

    const figures = (label) => ({
      latencyAvgMs: median(data.map((d) => d[label].ping.avg)),
      latencyMdevMs: median(data.map((d) => d[label].ping.mdev)),
      latencyMinMs: median(data.map((d) => d[label].ping.min)),
      pingsLost: data.reduce((s, d) => s + d[label].ping.lost, 0),
      throughputMBps: median(data.map((d) => d[label].transfer.mbPerS)),
      qemuCpuMsPerMB: median(data.map((d) => d[label].transfer.qemuCpuMsPerMB)),
      networkCreateMs: median(control.map((c) => c[label].network)),
      nicHotplugMs: median(control.map((c) => c[label].nicOp)),
      nicAddressMs: median(control.map((c) => c[label].nicAddress)),
    });
    const f = { herd: figures('herd'), hand: figures('by hand') };
    const rows = [
      [`latency a->b, avg of ${pings} pings (ms)`, 'latencyAvgMs', 3],
      ['latency a->b, mdev (ms)', 'latencyMdevMs', 3],
      ['latency a->b, min (ms)', 'latencyMinMs', 3],
      ['throughput a->b, nc (MB/s)', 'throughputMBps', 2],
      ['  QEMU CPU per MB sent, a+b (ms)', 'qemuCpuMsPerMB', 1],
      ['create a nat network (ms)', 'networkCreateMs', 1],
      ['hot-plug a NIC, until done (ms)', 'nicHotplugMs', 1],
      ['hot-plug a NIC, until it answers (ms)', 'nicAddressMs', 1],
    ];
    const fmt = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    const ratios = Object.fromEntries(rows.map(([, k]) => [k, Number((f.herd[k] / f.hand[k]).toFixed(3))]));
    const lines = [];
    lines.push(`herd network benchmark, ${new Date().toISOString()}, ${rounds} rounds, accel ${herd.accel}, ${count} x 64 KiB per transfer, load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after`);
    if (values['hand-netfilter']) lines.push("--hand-netfilter: the hand-made bridge has herd's netfilter path too");
    lines.push('');
    lines.push(`${'metric'.padEnd(40)}${'herd'.padStart(10)}${'by hand'.padStart(10)}${'herd/hand'.padStart(11)}`);
    for (const [name, k, d] of rows) lines.push(`${name.padEnd(40)}${fmt(f.herd[k], d).padStart(10)}${fmt(f.hand[k], d).padStart(10)}${fmt(ratios[k], 3).padStart(11)}`);
    lines.push('');
    lines.push(`per round, herd / by hand: throughput ${data.map((d) => `${d.herd.transfer.mbPerS.toFixed(2)}/${d['by hand'].transfer.mbPerS.toFixed(2)}`).join(', ')} MB/s; ` + `latency avg ${data.map((d) => `${d.herd.ping.avg.toFixed(2)}/${d['by hand'].ping.avg.toFixed(2)}`).join(', ')} ms`);
    if (f.herd.pingsLost + f.hand.pingsLost > 0) lines.push(`pings lost: herd ${f.herd.pingsLost}, by hand ${f.hand.pingsLost}`);
    lines.push(`QEMU argv: ${argvDiffs.length ? `differs apart from names, paths and MACs: ${argvDiffs.join('; ')}` : 'the same on both sides apart from names, paths and MACs (read from /proc)'}`);
    lines.push(`bridge: herd ${setup.herd.bridge} (nft tables: ${setup.herd.nft.join(', ') || 'none'}); by hand ${setup.hand.bridge} (nft tables: ${setup.hand.nft.join(', ') || 'none'})`);
    lines.push(`taps: herd ${setup.herd.taps}; by hand ${setup.hand.taps}`);
    lines.push('network by hand: bridge + address + up + udhcpd (herd also writes NAT rules, starts dnsmasq with DNS, records it)');
    const consoleStats = Object.fromEntries(sides.map((side) => [side.label, ['a', 'b'].reduce((acc, n) => ({ commands: acc.commands + side.shells[n].stats.commands, reprints: acc.reprints + side.shells[n].stats.reprints }), { commands: 0, reprints: 0 })]));
    const share = (l) => `${((daemonLoad.by[l].cpuMs / daemonLoad.by[l].wallMs) * 100).toFixed(1)}%`;
    lines.push(`herd daemon CPU during the data-plane turns (includes serving herd's console sessions): ${share('herd')} of a core in herd's, ${share('by hand')} in the hand-made side's`);
    lines.push(`console: outputs printed again after arriving damaged: herd ${consoleStats.herd.reprints} of ${consoleStats.herd.commands}, by hand ${consoleStats['by hand'].reprints} of ${consoleStats['by hand'].commands} (see guest-shell.mjs)`);
    const summary = { bench: 'network', date: new Date().toISOString(), accel: herd.accel, rounds, pings, count, handNetfilter: values['hand-netfilter'], load: { before: loadBefore, after: loadAfter }, herd: f.herd, hand: f.hand, ratios };
    console.log(lines.join('\n'));
    console.log(JSON.stringify(summary));
    mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repo, 'bench', 'results', `network-${Date.now()}.json`), JSON.stringify({ summary, warm, data, control, setup, argvDiffs, consoleStats, daemonLoad: daemonLoad.by }, null, 2));
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
