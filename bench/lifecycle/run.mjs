#!/usr/bin/env node
// Lifecycle benchmark: herd against raw qemu-system-x86_64 and, with --with-virsh, libvirt's
// virsh, all running the same tiny guest, side by side in one run. Prints medians and ratios,
// and writes them to bench/results/. bench/README.md says how to run it and what it measures.
//
//   node bench/lifecycle/run.mjs [--rounds 7] [--vms 20] [--with-virsh]
//
// What is timed (wall clock, on this machine, TCG unless KVM is usable):
//   start      herd: POST /vms/X/actions/start?wait=true until it answers (QEMU launched,
//              QMP connected, status read, recorded).  raw: qemu -daemonize until its QMP
//              socket has answered qmp_capabilities.
//   ready      from the start request until HERD-GUEST-READY is in the console log (both read
//              the log file QEMU writes, the same way).
//   stop       force stop: herd: POST stop {force} ?wait=true. raw: QMP quit until the QMP
//              socket closes.
//   delete     herd: DELETE /vms/X?wait=true (no raw counterpart).
//   list/show  median latency of GET /vms and GET /vms/X with 20 VMs defined.
//   rss        daemon resident memory with --vms VMs running.
//   virsh      (--with-virsh; as root, installs libvirt on demand, see virsh-baseline.mjs) the
//              same guest as a lean libvirt domain: `virsh start` and `virsh destroy` wall time,
//              start to HERD-GUEST-READY, and libvirtd + virtlogd RSS idle and with --vms domains
//              running. Its rounds are interleaved with herd's and raw QEMU's. Without it, the
//              virsh column shows reference figures, labelled as such.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HerdClient } from '../../packages/api/dist/index.js';
import { LIBVIRT_ADDITIONS, openVirshBaseline } from './virsh-baseline.mjs';

const repo = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, vms: { type: 'string', default: '20' }, 'with-virsh': { type: 'boolean', default: false } },
});
const rounds = Number(values.rounds);
const manyVms = Number(values.vms);

/**
 * virsh figures measured earlier on this machine class, shown (and labelled) when this run does
 * not measure virsh itself: ms for start and force stop, MiB for libvirtd + virtlogd with VMs up.
 */
const VIRSH_REFERENCE = { start: 281, stop: 219, rssLoadedMiB: 65 };

/** How the virsh guest is set up, for the notes under the table. */
const VIRSH_DOMAIN_NOTE =
  "domain type 'qemu' (TCG), machine pc, -cpu max, 1 vCPU, 128 MiB, direct kernel boot, qcow2 overlay on virtio-blk, serial to a file, no NIC/graphics/USB/balloon";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();
const sleep = (t) => new Promise((r) => setTimeout(r, t));

/** Resolves when `text` appears in the file at `path` (watching it, as herd's console hub does). */
function waitForInFile(path, text, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    let watcher;
    const check = () => {
      if (existsSync(path) && readFileSync(path, 'utf8').includes(text)) {
        clearInterval(poll);
        clearTimeout(timer);
        watcher?.close();
        resolve();
        return true;
      }
      if (!watcher && existsSync(path)) watcher = watch(path, check);
      return false;
    };
    const poll = setInterval(check, 20);
    const timer = setTimeout(() => {
      clearInterval(poll);
      watcher?.close();
      reject(new Error(`timed out waiting for ${text} in ${path}`));
    }, timeoutMs);
    check();
  });
}

/** A minimal QMP exchange: greeting, capabilities; returns a function to send commands. */
function qmpConnect(path) {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = '';
    let stage = 0;
    const closed = new Promise((r) => sock.on('close', r));
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (stage === 0 && msg.QMP) {
          stage = 1;
          sock.write('{"execute":"qmp_capabilities"}\n');
        } else if (stage === 1 && 'return' in msg) {
          stage = 2;
          resolve({ send: (cmd) => sock.write(JSON.stringify({ execute: cmd }) + '\n'), closed, close: () => sock.destroy() });
        }
      }
    });
  });
}

function startDaemon(dataDir) {
  const child = spawn(process.execPath, ['--lite-mode', '--max-semi-space-size=1', '--optimize-for-size', '--no-expose-wasm', join(repo, 'packages/daemon/dist/main.js'), '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--log-level', 'info', '--no-default-network'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (b) => {
      buf += b.toString();
      for (const line of buf.split('\n')) {
        if (!line.includes('herd is serving')) continue;
        resolve({ child, url: JSON.parse(line).url });
        buf = '';
        return;
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.on('exit', (c) => reject(new Error(`daemon exited ${c}`)));
  });
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function main() {
  const work = mkdtempSync('/tmp/herd-bench-');
  // VMs run as users of their own: they must pass through this directory to reach the data dir.
  chmodSync(work, 0o711);
  const dataDir = join(work, 'd');
  const { child, url } = await startDaemon(dataDir).catch((e) => {
    rmSync(work, { recursive: true, force: true });
    throw e;
  });
  const client = new HerdClient({ url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() });
  /** @type {Awaited<ReturnType<typeof openVirshBaseline>> | undefined} */
  let virshSetup;
  let cleaned;
  const cleanup = () =>
    (cleaned ??= (async () => {
      if (virshSetup && !('unavailable' in virshSetup)) {
        process.stderr.write('removing the virsh domains and stopping what the bench started for them...\n');
        await virshSetup.close();
      }
      child.kill('SIGTERM');
      await sleep(500);
      spawnSync('pkill', ['-f', work]);
      rmSync(work, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      process.stderr.write(`${signal}: cleaning up\n`);
      cleanup().finally(() => process.exit(130));
    });
  try {
    process.stderr.write('building the tiny image...\n');
    const built = await client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
    const image = await client.call('getImage', { params: { id: 'tiny' } });
    const imgDir = join(dataDir, 'images', image.id);
    // The tiny recipe unpacks the kernel for a direct (PVH) boot when it can.
    const kernel = join(imgDir, existsSync(join(imgDir, 'vmlinux')) ? 'vmlinux' : 'vmlinuz');
    const initrd = join(imgDir, 'initrd.img');
    const disk = join(imgDir, 'disk.qcow2');
    void built;

    virshSetup = values['with-virsh']
      ? await openVirshBaseline({ image: { kernel, initrd, disk, cmdline: image.kernelCmdline ?? '' }, memoryMiB: 128 })
      : { unavailable: 'not measured in this run (run with --with-virsh, as root, to measure it)' };
    const virsh = 'unavailable' in virshSetup ? null : virshSetup;
    if (!virsh && values['with-virsh']) process.stderr.write(`NOTE: no virsh baseline in this run: ${virshSetup.unavailable}\n`);
    const virshDomain = virsh ? await virsh.define('bench') : null;

    const results = {
      herd: { start: [], ready: [], stop: [], delete: [] },
      raw: { start: [], ready: [], stop: [] },
      virsh: { start: [], ready: [], stop: [], cli: [] },
    };
    await client.call('createVm', { body: { name: 'bench', image: 'tiny', memoryMiB: 128 }, query: { wait: true } });
    const vm = await client.call('getVm', { params: { id: 'bench' } });
    const herdLog = join(dataDir, 'logs', `${vm.id}.console.log`);

    for (let i = 0; i < rounds; i++) {
      process.stderr.write(`round ${i + 1}/${rounds}\n`);
      // raw QEMU, the same guest and the same minimal device model
      const rawDir = join(work, `raw${i}`);
      mkdirSync(rawDir);
      const overlay = join(rawDir, 'root.qcow2');
      spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', disk, '-F', 'qcow2', overlay]);
      const log = join(rawDir, 'console.log');
      const qmpPath = join(rawDir, 'qmp.sock');
      const args = [
        '-machine', 'pc', '-accel', 'tcg', '-cpu', 'max', '-smp', '1', '-m', '128M',
        '-nodefaults', '-no-user-config', '-display', 'none',
        '-daemonize', '-pidfile', join(rawDir, 'pid'),
        '-qmp', `unix:${qmpPath},server=on,wait=off`,
        '-serial', `file:${log}`,
        '-blockdev', `driver=file,node-name=f,filename=${overlay}`,
        '-blockdev', 'driver=qcow2,node-name=q,file=f',
        '-device', 'virtio-blk-pci,drive=q',
        '-kernel', kernel, '-initrd', initrd, '-append', image.kernelCmdline ?? '',
      ];
      let t0 = now();
      const r = spawnSync('qemu-system-x86_64', args);
      if (r.status !== 0) throw new Error(`raw qemu failed: ${r.stderr}`);
      const qmp = await qmpConnect(qmpPath);
      results.raw.start.push(ms(t0));
      await waitForInFile(log, 'HERD-GUEST-READY');
      results.raw.ready.push(ms(t0));
      t0 = now();
      qmp.send('quit');
      await qmp.closed;
      results.raw.stop.push(ms(t0));
      rmSync(rawDir, { recursive: true, force: true });

      // herd
      rmSync(herdLog, { force: true });
      t0 = now();
      await client.call('startVm', { params: { id: 'bench' }, query: { wait: true } });
      results.herd.start.push(ms(t0));
      await waitForInFile(herdLog, 'HERD-GUEST-READY');
      results.herd.ready.push(ms(t0));
      t0 = now();
      await client.call('stopVm', { params: { id: 'bench' }, body: { force: true }, query: { wait: true } });
      results.herd.stop.push(ms(t0));
      await sleep(200);

      // libvirt: the same guest as a lean domain, through the virsh CLI as people use it
      if (virsh) {
        rmSync(virshDomain.consoleLog, { force: true });
        t0 = now();
        await virsh.start(virshDomain);
        results.virsh.start.push(ms(t0));
        await waitForInFile(virshDomain.consoleLog, 'HERD-GUEST-READY');
        results.virsh.ready.push(ms(t0));
        t0 = now();
        await virsh.state(virshDomain);
        results.virsh.cli.push(ms(t0));
        t0 = now();
        await virsh.destroy(virshDomain);
        results.virsh.stop.push(ms(t0));
        await sleep(200);
      }
    }
    for (let i = 0; i < rounds; i++) {
      await client.call('createVm', { body: { name: `del${i}`, image: 'tiny', memoryMiB: 128, start: true }, query: { wait: true } });
      const t0 = now();
      await client.call('deleteVm', { params: { id: `del${i}` }, query: { wait: true } });
      results.herd.delete.push(ms(t0));
    }
    await client.call('deleteVm', { params: { id: 'bench' }, query: { wait: true } });

    process.stderr.write(`starting ${manyVms} VMs...\n`);
    const rssIdle = rssKiB(child.pid);
    for (let i = 0; i < manyVms; i++)
      await client.call('createVm', { body: { name: `m${i}`, image: 'tiny', memoryMiB: 128, start: true }, query: { wait: true } });
    await sleep(2000);
    const list = [];
    const show = [];
    for (let i = 0; i < 200; i++) {
      let t0 = now();
      await client.call('listVms');
      list.push(ms(t0));
      t0 = now();
      await client.call('getVm', { params: { id: `m${i % manyVms}` } });
      show.push(ms(t0));
    }
    const rssLoaded = rssKiB(child.pid);
    for (let i = 0; i < manyVms; i++) await client.call('deleteVm', { params: { id: `m${i}` }, query: { wait: true } });

    // libvirt with as many domains of the same guest running, started the same way (one by one)
    let virshRss = null;
    if (virsh) {
      process.stderr.write(`starting ${manyVms} libvirt domains...\n`);
      const idle = virsh.daemonRssKiB();
      const domains = [];
      for (let i = 0; i < manyVms; i++) {
        domains.push(await virsh.define(`m${i}`));
        await virsh.start(domains[i]);
      }
      await sleep(2000);
      const loaded = virsh.daemonRssKiB();
      for (const d of domains) await virsh.destroy(d);
      virshRss = { idle, loaded };
    }

    const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    const med = (xs) => (xs.length ? median(xs) : NaN);
    const v = virsh
      ? { start: med(results.virsh.start), ready: med(results.virsh.ready), stop: med(results.virsh.stop), rssIdleMiB: virshRss.idle.total / 1024, rssLoadedMiB: virshRss.loaded.total / 1024 }
      : { start: VIRSH_REFERENCE.start, ready: NaN, stop: VIRSH_REFERENCE.stop, rssIdleMiB: NaN, rssLoadedMiB: VIRSH_REFERENCE.rssLoadedMiB };
    // metric, herd, raw, virsh (measured or reference), target
    const rows = [
      ['start to QMP ready (ms)', median(results.herd.start), median(results.raw.start), v.start, 60],
      ['start to HERD-GUEST-READY (ms)', median(results.herd.ready), median(results.raw.ready), v.ready, NaN],
      ['force stop (ms)', median(results.herd.stop), median(results.raw.stop), v.stop, 30],
      ['delete, stopped + disk (ms)', median(results.herd.delete), NaN, NaN, NaN],
      [`GET /vms, ${manyVms} VMs (ms)`, median(list), NaN, NaN, 5],
      ['GET /vms/X (ms)', median(show), NaN, NaN, 5],
      ['manager RSS idle (MiB)', rssIdle / 1024, NaN, v.rssIdleMiB, NaN],
      [`manager RSS, ${manyVms} VMs (MiB)`, rssLoaded / 1024, NaN, v.rssLoadedMiB, 65],
    ];
    const virshHead = virsh ? ['virsh', 'herd/virsh'] : ['virsh ref*', 'herd/ref*'];
    const lines = [];
    lines.push(`herd lifecycle benchmark, ${new Date().toISOString()}, ${rounds} rounds, accel ${vm.accel ?? 'tcg'}`);
    lines.push('');
    lines.push(`${'metric'.padEnd(32)}${'herd'.padStart(9)}${'raw'.padStart(9)}${'herd/raw'.padStart(10)}${virshHead[0].padStart(11)}${virshHead[1].padStart(12)}${'target'.padStart(9)}`);
    for (const [name, h, r, vv, target] of rows)
      lines.push(
        `${name.padEnd(32)}${fmt(h).padStart(9)}${fmt(r).padStart(9)}${fmt(h / r, 3).padStart(10)}${fmt(vv).padStart(11)}${fmt(h / vv, 3).padStart(12)}${(Number.isFinite(target) ? `<=${target}` : '').padStart(9)}`,
      );
    const readyRatio = median(results.herd.ready) / median(results.raw.ready);
    lines.push('');
    lines.push(`herd's own share of a start: ${fmt(median(results.herd.start) - median(results.raw.start))} ms over QEMU's own start-up (raw QEMU alone takes ${fmt(median(results.raw.start))} ms here)`);
    lines.push(`herd's own share of a force stop: ${fmt(median(results.herd.stop) - median(results.raw.stop))} ms`);
    lines.push(`boot overhead vs raw QEMU: ${fmt((readyRatio - 1) * 100, 2)}% (target: within 3%)`);
    lines.push(`herd daemon RSS: ${fmt(rssIdle / 1024)} MiB idle, ${fmt(rssLoaded / 1024)} MiB with ${manyVms} running VMs (target <= 65 MiB)`);
    if (virsh) {
      const cli = med(results.virsh.cli);
      lines.push(`libvirt's own share of a start: ${fmt(v.start - median(results.raw.start))} ms over raw QEMU; of a force stop: ${fmt(v.stop - median(results.raw.stop))} ms`);
      lines.push(`  (both include virsh's own cost, ~${fmt(cli)} ms here: spawning virsh, connecting, one call, as timed with \`virsh domstate\`)`);
      const kib = (x) => fmt(x / 1024);
      lines.push(
        `libvirt RSS: libvirtd ${kib(virshRss.idle.libvirtd)} + virtlogd ${kib(virshRss.idle.virtlogd)} MiB idle; ` +
          `libvirtd ${kib(virshRss.loaded.libvirtd)} + virtlogd ${kib(virshRss.loaded.virtlogd)} MiB with ${manyVms} running domains` +
          (virsh.startedDaemons ? '' : ' (a libvirtd that was already running: it may hold other domains too)'),
      );
      lines.push(`virsh: measured in this run, interleaved with herd's rounds; ${virsh.version}; ${VIRSH_DOMAIN_NOTE}`);
      lines.push(`  ${LIBVIRT_ADDITIONS}`);
    } else {
      lines.push(
        `* virsh: ${virshSetup.unavailable}. Its columns give reference figures measured earlier on this machine class ` +
          `(${VIRSH_REFERENCE.start} ms start, ${VIRSH_REFERENCE.stop} ms force stop, ${VIRSH_REFERENCE.rssLoadedMiB} MiB libvirtd+virtlogd), not this run's.`,
      );
    }
    const text = lines.join('\n');
    console.log(text);
    mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
    writeFileSync(
      join(repo, 'bench', 'results', `lifecycle-${Date.now()}.json`),
      JSON.stringify(
        { results, list, show, rssIdle, rssLoaded, virsh: virsh ? { version: virsh.version, rss: virshRss } : { unavailable: virshSetup.unavailable, reference: VIRSH_REFERENCE } },
        null,
        2,
      ),
    );
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
