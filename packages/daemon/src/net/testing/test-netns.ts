/**
 * Throwaway network namespaces for the net/ tests, so they exercise real bridges, nftables and
 * dnsmasq without touching the host's own networking. Each test file makes its own set with a
 * random suffix, and removes them (and everything in them) in afterAll, even after a failure.
 */
import { randomBytes } from 'node:crypto';
import { run } from '../../host/exec.js';
import { netnsExec, type NetExec } from '../net-exec.js';

/** Reports why the integration tests cannot run here (not root, a tool missing), or undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['ip', 'nft', 'dnsmasq', 'busybox']) {
    const r = await run('sh', ['-c', 'command -v "$1"', 'sh', tool], { allowFailure: true });
    if (r.code !== 0) return `needs ${tool}`;
  }
  return undefined;
}

/** A set of namespaces named `herd-t-<random>-<role>`. */
export class TestNamespaces {
  readonly #suffix = randomBytes(4).toString('hex');
  readonly #made: string[] = [];

  /** Makes namespace `role` with its loopback up, and returns its name. */
  async add(role: string): Promise<string> {
    const name = `herd-t-${this.#suffix}-${role}`;
    await run('ip', ['netns', 'add', name]);
    this.#made.push(name);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A NetExec running commands inside namespace `name`. */
  exec(name: string): NetExec {
    return netnsExec(name);
  }

  /**
   * Connects namespaces `a` and `b` with a veth pair, `aName` in `a` and `bName` in `b`, both
   * down: configure them with `ip -n`.
   */
  async veth(a: string, aName: string, b: string, bName: string): Promise<void> {
    await run('ip', ['-n', a, 'link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b]);
  }

  /** Runs `ip ARGS` in namespace `ns`. */
  async ip(ns: string, ...args: string[]): Promise<void> {
    await run('ip', ['-n', ns, ...args]);
  }

  /** Deletes every namespace made, with the links in it. Idempotent. */
  async removeAll(): Promise<void> {
    while (this.#made.length) {
      const name = this.#made.pop()!;
      await run('ip', ['netns', 'del', name], { allowFailure: true });
    }
  }

  /** The namespaces still there (to check that nothing was left). */
  async remaining(): Promise<string[]> {
    const r = await run('ip', ['netns', 'list']);
    return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`herd-t-${this.#suffix}-`));
  }
}
