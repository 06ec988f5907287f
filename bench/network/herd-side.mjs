// The herd side: a real herd daemon in a network namespace of its own, two tiny guests on a nat
// network made through the API, and the control-plane actions timed as a client sees them.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HerdClient } from '../../packages/api/dist/index.js';
import { herdConsoleShell } from './guest-shell.mjs';
import { inNs, killAndWait, makeNetns, pidsMentioning, pingUntilAnswered, relayToUnixSocket } from './host.mjs';
import { guestReady } from './wait.mjs';

const repo = join(import.meta.dirname, '..', '..');
const daemonMain = join(repo, 'packages', 'daemon', 'dist', 'main.js');
const cliMain = join(repo, 'packages', 'cli', 'dist', 'herd.mjs');
/** The node flags herd's daemon runs with (as `npm start` and test/helpers/daemon-process.ts). */
const daemonNodeFlags = ['--lite-mode', '--max-semi-space-size=1', '--optimize-for-size', '--no-expose-wasm'];
const wait = { wait: true, timeoutSeconds: 300 };
const now = () => process.hrtime.bigint();
const msSince = (t0, t1 = now()) => Number(t1 - t0) / 1e6;

/** Starts the daemon in namespace `ns`, serving on a unix socket; `serving` resolves once it says so. */
function startDaemon(ns, dataDir, logs) {
  const socket = join(dataDir, 'api.sock');
  const argv = [...daemonNodeFlags, daemonMain, '--data-dir', dataDir, '--listen', `unix:${socket}`, '--no-default-network', '--log-level', 'info'];
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (b) => {
    logs.push(b.toString());
    if (logs.length > 200) logs.shift();
  };
  child.stderr.on('data', keep);
  const serving = new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`the daemon did not start: ${logs.join('').slice(-2000)}`)), 60_000);
    child.stdout.on('data', (b) => {
      keep(b);
      buf += b.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.includes('"herd is serving"')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited with ${code}: ${logs.join('').slice(-2000)}`));
    });
  });
  return { child, socket, serving };
}

/**
 * Sets up the herd side under `work` (a fresh directory): namespace, daemon, the tiny image,
 * nat network `bench` on `cidr`, and VMs `a` and `b` (128 MiB, 1 vCPU) on it at `ips`, booted
 * and with their addresses. Resolves to a side as run.mjs describes it, plus `image` (the tiny
 * image's files) and `accel`, for the hand-made side. On failure undoes what it made and rethrows.
 * `close()` removes it all: VMs, networks, daemon, leftover QEMU and dnsmasq processes, the
 * namespace.
 */
export async function openHerdSide({ work, cidr, ips, progress }) {
  const undo = [];
  const close = async () => {
    while (undo.length) await undo.pop()().catch((e) => progress(`herd side clean-up: ${e.message}`));
  };
  try {
    const ns = makeNetns('herd-bench-a');
    undo.push(async () => ns.remove());
    const dataDir = join(work, 'd');
    // Whatever runs with the data dir on its command line (QEMU, dnsmasq) was started for this run.
    undo.push(() => killAndWait(pidsMentioning(dataDir)));
    const logs = [];
    const daemon = startDaemon(ns.name, dataDir, logs);
    undo.push(async () => {
      if (daemon.child.exitCode !== null) return;
      const exited = new Promise((r) => daemon.child.once('exit', r));
      daemon.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    });
    await daemon.serving;
    const relay = await relayToUnixSocket(daemon.socket);
    undo.push(async () => relay.close());
    const client = new HerdClient({ url: relay.url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() });
    // The daemon leaves running VMs behind when it stops: delete them (and the networks) first.
    undo.push(async () => {
      for (const vm of await client.call('listVms')) await client.call('deleteVm', { params: { id: vm.id }, query: { wait: true, timeoutSeconds: 60 } }).catch(() => undefined);
      for (const n of await client.call('listNetworks')) await client.call('deleteNetwork', { params: { id: n.id } }).catch(() => undefined);
    });

    progress('herd: building the tiny image...');
    await client.call('buildImage', { body: { recipe: 'tiny' }, query: wait });
    const image = await client.call('getImage', { params: { id: 'tiny' } });
    const imgDir = join(dataDir, 'images', image.id);
    const imageFiles = {
      kernel: join(imgDir, existsSync(join(imgDir, 'vmlinux')) ? 'vmlinux' : 'vmlinuz'),
      initrd: join(imgDir, 'initrd.img'),
      disk: join(imgDir, 'disk.qcow2'),
      cmdline: image.kernelCmdline ?? '',
    };

    const network = await client.call('createNetwork', { body: { name: 'bench', type: 'nat', cidr } });
    if (network.status.state !== 'ready') throw new Error(`network bench is ${network.status.state}: ${network.status.error}`);
    progress('herd: starting VMs a and b...');
    const vms = {};
    for (const name of ['a', 'b']) {
      await client.call('createVm', { body: { name, image: 'tiny', memoryMiB: 128, cpus: 1, nics: [{ network: 'bench', ip: ips[name] }], start: true }, query: wait });
      vms[name] = await client.call('getVm', { params: { id: name } });
    }
    const shells = { a: herdConsoleShell(cliMain, relay.url, 'a'), b: herdConsoleShell(cliMain, relay.url, 'b') };
    for (const name of ['a', 'b']) await guestReady(name, join(dataDir, 'logs', `${vms[name].id}.console.log`), shells[name], ips[name]);

    const qemuPid = (name) => Number(readFileSync(join(dataDir, 'run', vms[name].id, 'qemu.pid'), 'utf8').trim());
    const nics = {};
    for (const name of ['a', 'b']) nics[name] = (await client.call('listVmNics', { params: { id: name } }))[0];

    const argvOfA = readFileSync(`/proc/${qemuPid('a')}/cmdline`, 'utf8').split('\0');
    return {
      label: 'herd',
      image: imageFiles,
      /** The accelerator herd chose for its QEMUs (kvm when usable), for the hand-made ones to use too. */
      accel: argvOfA[argvOfA.indexOf('-accel') + 1],
      shells,
      ips,
      /** QEMU's argv (without the binary) of VM `name`, read from /proc. */
      qemuArgv(name) {
        return readFileSync(`/proc/${qemuPid(name)}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
      },
      /** The pids of the two VMs' QEMUs. */
      qemuPids: () => ['a', 'b'].map(qemuPid),
      /** The pid of the herd daemon (`ip netns exec` execs it, so the child is the daemon). */
      daemonPid: daemon.child.pid,
      /** The names in VM `name`'s argv that differ between two VMs of the same spec: for comparing argvs. */
      perVmNames(name) {
        return { nicIds: [nics[name].device], taps: [nics[name].tap], macs: [nics[name].mac] };
      },
      /** `ip -d link show` of the bridge and the two taps, for the record. */
      links() {
        return inNs(ns.name, ['ip', '-d', 'link', 'show', 'master', network.bridge]) + inNs(ns.name, ['ip', '-d', 'link', 'show', 'dev', network.bridge]);
      },
      /** The nftables tables in the namespace (herd's nat rules), for the record. */
      nftTables() {
        return inNs(ns.name, ['nft', 'list', 'tables']).trim().split('\n').filter(Boolean);
      },
      async pause() {
        for (const id of ['a', 'b']) await client.call('pauseVm', { params: { id }, query: wait });
      },
      async resume() {
        for (const id of ['a', 'b']) await client.call('resumeVm', { params: { id }, query: wait });
      },
      /** Times POST /networks (nat, `netCidr`) until its 201 answer; the network is ready then. */
      async timeNetworkCreate(name, netCidr) {
        const t0 = now();
        const net = await client.call('createNetwork', { body: { name, type: 'nat', cidr: netCidr } });
        const ms = msSince(t0);
        if (net.status.state !== 'ready') throw new Error(`network ${name} is ${net.status.state}: ${net.status.error}`);
        return ms;
      },
      async deleteNetwork(name) {
        await client.call('deleteNetwork', { params: { id: name } });
      },
      /**
       * Adds a NIC (`mac`, address `ip`) on network `network` to running VM `vm` and times it:
       * until the operation has succeeded (`?wait=true` answers), and until the guest answers
       * pings on that address (its DHCP client found the NIC and got the lease). Returns the
       * NIC's device id too, for {@link removeNic}.
       */
      async timeHotplug(vm, { network, ip, mac }) {
        const probe = pingUntilAnswered(ns.name, ip);
        try {
          // The probe's own start-up is not part of the figure.
          await new Promise((r) => setTimeout(r, 200));
          const t0 = now();
          const op = await client.call('addVmNic', { params: { id: vm }, body: { network, ip, mac }, query: wait });
          const opMs = msSince(t0);
          if (op.status !== 'succeeded') throw new Error(`adding a NIC to ${vm} ${op.status}: ${JSON.stringify(op.error)}`);
          const addressMs = msSince(t0, await probe.answered);
          return { opMs, addressMs, device: op.result.nic.device };
        } finally {
          probe.stop();
        }
      },
      async removeNic(vm, device) {
        const op = await client.call('removeVmNic', { params: { id: vm, nic: device }, query: wait });
        if (op.status !== 'succeeded') throw new Error(`removing NIC ${device} of ${vm} ${op.status}: ${JSON.stringify(op.error)}`);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
