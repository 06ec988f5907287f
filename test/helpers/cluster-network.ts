/**
 * The network of a test cluster: a hub namespace with a bridge (the "switch", where PostgreSQL
 * also runs) and one namespace per host, each joined to the bridge by a veth pair. Nothing is
 * made in the host's own network namespace: every link is created inside the hub and its peer
 * moved straight into the host's namespace.
 *
 *   hub  (PREFIX-hub)   br0 10.213.X.1/24, ports vh1..vhN
 *   host (PREFIX-hI)    eth0 10.213.X.(10+I)/24, the peer of vhI
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { statSync } from 'node:fs';
import { makeNetns } from './netns.js';
import { waitFor } from './wait.js';

/** How a host is cut off: its link set down on both ends, or frames silently dropped at the bridge. */
export type CutMode = 'down' | 'drop';

/** One host's place on the cluster network. */
export interface HostLink {
  /** The host's name (h1, h2, ...). */
  readonly name: string;
  /** Its network namespace. */
  readonly netns: string;
  /** Its address on the cluster network (no prefix length). */
  readonly address: string;
  /** The inode of its network namespace, as /proc/PID/ns/net shows it (`net:[INODE]`). */
  readonly netnsInode: number;
  /** Its bridge port in the hub namespace. */
  readonly hubPort: string;
}

/** The namespaces and links of a test cluster; `remove()` deletes them all. */
export interface ClusterNetwork {
  readonly hub: string;
  /** The hub's address on the bridge (PostgreSQL listens here). */
  readonly hubAddress: string;
  /** The /24 the cluster uses, e.g. 10.213.57.0/24. */
  readonly subnet: string;
  readonly hosts: readonly HostLink[];
  /**
   * Cuts `host` off the bridge, from the hub and every other host at once. `down` sets both ends
   * of its veth down (the host sees its link go away and gets fast errors); `drop` leaves both
   * ends up and disables its bridge port, so frames vanish silently both ways, as when a switch
   * port or a router between fails. Idempotent.
   */
  cut(host: string, mode?: CutMode): void;
  /** Undoes any `cut` of `host` and waits until its link carries frames again. Idempotent. */
  restore(host: string): Promise<void>;
  /** Deletes the namespaces (and with them the links); processes still in them keep theirs. */
  remove(): void;
}

const ip = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

/**
 * Makes the hub and one namespace per name in `hostNames`, on a random 10.213.X.0/24 (the
 * namespaces are private, so two runs on one machine may even pick the same X). On failure it
 * removes what it made before it throws.
 */
export function makeClusterNetwork(prefix: string, hostNames: readonly string[]): ClusterNetwork {
  const x = randomInt(0, 256);
  const hubAddress = `10.213.${x}.1`;
  const made: { remove(): void }[] = [];
  const removeAll = () => {
    for (const ns of [...made].reverse()) ns.remove();
  };
  try {
    const hubNs = makeNetns(`${prefix}-hub`, { exact: true });
    made.push(hubNs);
    const hub = hubNs.name;
    ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', hub, 'addr', 'add', `${hubAddress}/24`, 'dev', 'br0']);
    ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    const hosts = hostNames.map((name, i): HostLink => {
      const ns = makeNetns(`${prefix}-${name}`, { exact: true });
      made.push(ns);
      const hubPort = `v${name}`.slice(0, 15);
      const address = `10.213.${x}.${11 + i}`;
      ip(['-n', hub, 'link', 'add', hubPort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
      ip(['-n', hub, 'link', 'set', hubPort, 'master', 'br0']);
      ip(['-n', hub, 'link', 'set', hubPort, 'up']);
      ip(['-n', ns.name, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      ip(['-n', ns.name, 'link', 'set', 'eth0', 'up']);
      return { name, netns: ns.name, address, hubPort, netnsInode: statSync(`/run/netns/${ns.name}`).ino };
    });
    const link = (name: string): HostLink => {
      const h = hosts.find((l) => l.name === name);
      if (!h) throw new Error(`no host '${name}' in this cluster (hosts: ${hosts.map((l) => l.name).join(', ')})`);
      return h;
    };
    return {
      hub,
      hubAddress,
      subnet: `10.213.${x}.0/24`,
      hosts,
      cut(name, mode = 'down') {
        const h = link(name);
        if (mode === 'drop') {
          execFileSync('bridge', ['-n', hub, 'link', 'set', 'dev', h.hubPort, 'state', '0']);
        } else {
          ip(['-n', hub, 'link', 'set', h.hubPort, 'down']);
          ip(['-n', h.netns, 'link', 'set', 'eth0', 'down']);
        }
      },
      async restore(name) {
        const h = link(name);
        ip(['-n', hub, 'link', 'set', h.hubPort, 'up']);
        ip(['-n', h.netns, 'link', 'set', 'eth0', 'up']);
        // With STP off a port forwards as soon as it is up; this also undoes a `drop` cut.
        await waitFor(`the link of ${name} to come up`, () => {
          if (operState(h.netns, 'eth0') !== 'UP' || operState(hub, h.hubPort) !== 'UP') return undefined;
          execFileSync('bridge', ['-n', hub, 'link', 'set', 'dev', h.hubPort, 'state', '3']);
          return true;
        }, 5_000, 20);
      },
      remove: removeAll,
    };
  } catch (e) {
    removeAll();
    throw e;
  }
}

/** `ip link` operstate of `dev` in `ns` (UP, DOWN, LOWERLAYERDOWN, ...). */
function operState(ns: string, dev: string): string {
  const [l] = JSON.parse(ip(['-n', ns, '-j', 'link', 'show', 'dev', dev])) as { operstate?: string }[];
  return l?.operstate ?? 'UNKNOWN';
}

