// The hand-made side: the same two QEMUs (argv from herd's own buildArgv, the same tiny image
// files) on a bridge and taps made with `ip` commands in a namespace of its own, with busybox
// udhcpd handing out fixed addresses, and the same control-plane actions done by hand (ip
// commands, QMP). Only the setup differs from the herd side.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildArgv, QEMU_BINARY } from '../../packages/daemon/dist/qemu/build-argv.js';
import { consoleSocketPath, pidfilePath, qmpSocketPath } from '../../packages/daemon/dist/qemu/launch-spec.js';
import { natRuleset, natTableName, replaceTablesScript } from '../../packages/daemon/dist/net/nftables.js';
import { nicNames, nicObjects } from '../../packages/daemon/dist/qemu/nic-objects.js';
import { socketShell } from './guest-shell.mjs';
import { inNs, killAndWait, makeNetns, pidsMentioning, pingUntilAnswered } from './host.mjs';
import { openQmp } from './qmp.mjs';
import { guestReady } from './wait.mjs';

const now = () => process.hrtime.bigint();
const msSince = (t0, t1 = now()) => Number(t1 - t0) / 1e6;
/** The MTU herd gives its networks' taps and announces to guests (host_mtu); the same here. */
const MTU = 1500;

/** `10.0.0.0/24` → its first host address with the prefix (`10.0.0.1/24`) and the netmask. */
function gatewayOf(cidr) {
  const [net, prefix] = cidr.split('/');
  const o = net.split('.').map(Number);
  o[3] += 1;
  const mask = (0xffffffff << (32 - Number(prefix))) >>> 0;
  return { address: `${o.join('.')}/${prefix}`, gateway: o.join('.'), netmask: [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.') };
}

/**
 * A bridge with an address, up, and busybox udhcpd on it giving each MAC of `leases` its fixed
 * address, the way a person sets one up by hand. With `netfilter`, the bridge also gets what
 * herd gives its nat networks' bridges on the data path: bridged frames through the IP hooks
 * (nf_call_iptables) and herd's nat table, built by herd's own ruleset function. Resolves once
 * udhcpd listens on port 67, to `{ remove() }`.
 */
async function makeBridge(ns, dir, bridge, cidr, leases, netfilter = false) {
  const { address, gateway, netmask } = gatewayOf(cidr);
  inNs(ns, ['ip', 'link', 'add', 'name', bridge, 'type', 'bridge', ...(netfilter ? ['nf_call_iptables', '1', 'nf_call_ip6tables', '1'] : [])]);
  if (netfilter) inNs(ns, ['nft', '-f', '-'], replaceTablesScript([{ family: 'ip', name: natTableName(bridge), body: natRuleset({ bridge, cidr }) }]));
  inNs(ns, ['ip', 'addr', 'add', address, 'dev', bridge]);
  inNs(ns, ['ip', 'link', 'set', 'dev', bridge, 'up']);
  const conf = join(dir, `udhcpd-${bridge}.conf`);
  const base = gateway.split('.').slice(0, 3).join('.');
  writeFileSync(
    conf,
    [
      `interface ${bridge}`,
      `start ${base}.100`,
      `end ${base}.200`,
      `lease_file ${join(dir, `udhcpd-${bridge}.leases`)}`,
      `option subnet ${netmask}`,
      `option router ${gateway}`,
      'option lease 3600',
      // Fixed leases, as herd's: udhcpd then offers at once, without first ARP-probing the address.
      ...Object.entries(leases).map(([mac, ip]) => `static_lease ${mac} ${ip}`),
      '',
    ].join('\n'),
  );
  const child = spawn('ip', ['netns', 'exec', ns, 'busybox', 'udhcpd', '-f', conf], { stdio: 'ignore' });
  const remove = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill();
      await exited;
    }
    try {
      inNs(ns, ['ip', 'link', 'del', 'dev', bridge]);
    } catch {
      // the namespace went first
    }
  };
  // /proc/PID/net/udp shows the sockets of PID's own namespace: port 67 is 0043.
  const deadline = Date.now() + 10_000;
  for (;;) {
    let udp = '';
    try {
      udp = readFileSync(`/proc/${child.pid}/comm`, 'utf8').startsWith('busybox') ? readFileSync(`/proc/${child.pid}/net/udp`, 'utf8') : '';
    } catch {
      // not exec'd yet, or gone
    }
    if (/:0043 /.test(udp)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await remove();
      throw new Error(`udhcpd did not start on ${bridge} in ${ns}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { remove };
}

/** A tap, a port of `bridge`, up: what herd's ensureTap leaves, typed by hand. */
function makeTap(ns, tap, bridge) {
  inNs(ns, ['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  inNs(ns, ['ip', 'link', 'set', 'dev', tap, 'master', bridge, 'up']);
}

/**
 * Sets up the hand-made side under `work`: namespace, bridge `br0` with `cidr`'s first address,
 * taps, udhcpd, and two QEMUs started from `buildArgv` with the image files and accelerator of
 * the herd side, booted and with their addresses `ips`. With `netfilter`, br0 gets herd's
 * netfilter setup (see makeBridge). Resolves to a side as run.mjs describes it. On failure
 * undoes what it made and rethrows; `close()` removes it all.
 */
export async function openHandSide({ work, image, accel, cidr, ips, netfilter, progress }) {
  const undo = [];
  const close = async () => {
    while (undo.length) await undo.pop()().catch((e) => progress(`hand-made side clean-up: ${e.message}`));
  };
  try {
    mkdirSync(work, { recursive: true });
    const ns = makeNetns('herd-bench-b');
    undo.push(async () => ns.remove());
    // QEMU daemonizes, so it is not our child: find it by the directory on its command line.
    undo.push(() => killAndWait(pidsMentioning(work)));
    const guests = {};
    for (const [i, name] of ['a', 'b'].entries()) {
      const uuid = randomUUID();
      guests[name] = { uuid, mac: `52:54:00:be:00:${(10 + i).toString(16).padStart(2, '0')}`, tap: `tap-${name}`, nicId: `eth-${name}`, runDir: join(work, `r${name}`) };
    }
    const bridge = await makeBridge(ns.name, work, 'br0', cidr, Object.fromEntries(Object.entries(guests).map(([n, g]) => [g.mac, ips[n]])), netfilter);
    undo.push(bridge.remove);
    for (const g of Object.values(guests)) makeTap(ns.name, g.tap, 'br0');

    progress('hand-made: starting QEMUs a and b...');
    const qmps = {};
    const shells = {};
    for (const [name, g] of Object.entries(guests)) {
      mkdirSync(g.runDir, { mode: 0o700 });
      const overlay = join(work, `${g.uuid}.qcow2`);
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'qcow2', overlay]);
      g.spec = {
        uuid: g.uuid,
        name,
        accel,
        cpus: 1,
        memoryMiB: 128,
        runDir: g.runDir,
        consoleLog: join(work, `${g.uuid}.console.log`),
        boot: { kind: 'kernel', kernel: image.kernel, initrd: image.initrd, cmdline: `${image.cmdline} herd.hostname=${name}` },
        disks: [{ id: 'root', path: overlay, format: 'qcow2', serial: 'root' }],
        watchdog: 'off',
        portForwards: [],
        display: 'none',
        nics: [{ id: g.nicId, tap: g.tap, mac: g.mac, mtu: MTU }],
      };
      const r = spawnSync('ip', ['netns', 'exec', ns.name, QEMU_BINARY, ...buildArgv(g.spec)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`QEMU ${name} did not start: ${r.stderr}`);
      qmps[name] = await openQmp(qmpSocketPath(g.runDir));
      undo.push(async () => qmps[name].close());
      shells[name] = await socketShell(consoleSocketPath(g.runDir), name);
      undo.push(async () => shells[name].close());
    }
    for (const [name, g] of Object.entries(guests)) await guestReady(name, g.spec.consoleLog, shells[name], ips[name]);

    const qemuPid = (name) => Number(readFileSync(pidfilePath(guests[name].runDir), 'utf8').trim());
    let hot;
    return {
      label: 'by hand',
      shells,
      ips,
      perVmNames: (name) => ({ nicIds: [guests[name].nicId], taps: [guests[name].tap], macs: [guests[name].mac] }),
      /** QEMU's argv (without the binary) of guest `name`, read from /proc. */
      qemuArgv: (name) => readFileSync(`/proc/${qemuPid(name)}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1),
      /** The pids of the two QEMUs. */
      qemuPids: () => ['a', 'b'].map(qemuPid),
      links: () => inNs(ns.name, ['ip', '-d', 'link', 'show', 'master', 'br0']) + inNs(ns.name, ['ip', '-d', 'link', 'show', 'dev', 'br0']),
      nftTables: () => inNs(ns.name, ['nft', 'list', 'tables']).trim().split('\n').filter(Boolean),
      async pause() {
        for (const q of Object.values(qmps)) await q.execute('stop');
      },
      async resume() {
        for (const q of Object.values(qmps)) await q.execute('cont');
      },
      /**
       * The by-hand counterpart of creating a nat network, minus what herd adds (NAT rules,
       * DNS): bridge `name` with `netCidr`'s first address, up, and a DHCP server giving the
       * MACs of `leases` their addresses. Times it until udhcpd listens.
       */
      async timeNetworkCreate(name, netCidr, leases) {
        const t0 = now();
        const b = await makeBridge(ns.name, work, name, netCidr, leases);
        const ms = msSince(t0);
        hot = { name, remove: b.remove };
        return ms;
      },
      async deleteNetwork() {
        await hot?.remove();
        hot = undefined;
      },
      /**
       * Hot-plugs a NIC (`mac`) on bridge `network` into guest `vm` as a script would: a tap on
       * the bridge, then QMP netdev_add and device_add with the objects herd sends. Times it
       * until device_add has answered, and until the guest answers pings on `ip`.
       */
      async timeHotplug(vm, { network, ip, mac }) {
        const nic = { id: 'eth-hot', tap: 'tap-hot', mac, mtu: MTU };
        const probe = pingUntilAnswered(ns.name, ip);
        try {
          // The probe's own start-up is not part of the figure.
          await new Promise((r) => setTimeout(r, 200));
          const t0 = now();
          makeTap(ns.name, nic.tap, network);
          const o = nicObjects(nic);
          await qmps[vm].execute('netdev_add', o.netdev);
          await qmps[vm].execute('device_add', o.device);
          const opMs = msSince(t0);
          const addressMs = msSince(t0, await probe.answered);
          return { opMs, addressMs, device: nic.id, tap: nic.tap };
        } finally {
          probe.stop();
        }
      },
      /** Unplugs the NIC `device` of `vm` (the guest releases it: DEVICE_DELETED), then its netdev and tap. */
      async removeNic(vm, device, tap) {
        const q = qmps[vm];
        let timer;
        let off;
        const released = new Promise((resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`${vm} did not release ${device} within 60 s`)), 60_000);
          off = q.onEvent((e) => {
            if (e.event === 'DEVICE_DELETED' && e.data?.device === device) resolve();
          });
        });
        try {
          // Listening before device_del: the guest may release the device before the reply.
          await Promise.all([q.execute('device_del', { id: device }), released]);
        } finally {
          clearTimeout(timer);
          off();
        }
        await q.execute('netdev_del', { id: nicNames(device).netdev });
        inNs(ns.name, ['ip', 'link', 'del', 'dev', tap]);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
