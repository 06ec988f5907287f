/**
 * Network namespaces for tests: everything herd does to networking happens inside namespaces
 * the test makes and removes, never in the host's own.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Runs `cmd` inside namespace `ns` and returns its stdout. */
export function inNs(ns: string, cmd: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
}

/**
 * A fresh namespace with loopback up; `remove()` deletes it (and with it its links). Its name is
 * `prefix` and a random suffix, or `prefix` itself with `exact` (for callers whose prefix is
 * unique already).
 */
export function makeNetns(prefix: string, options: { exact?: boolean } = {}): { name: string; remove(): void } {
  const name = options.exact ? prefix : `${prefix}-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  inNs(name, ['ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    remove: () => {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Joins two namespaces with a veth pair: `a` gets addrA/24 and `b` gets addrB/24 on the link
 * names given. Returns nothing; removing either namespace removes the pair.
 */
export function linkNetns(a: { ns: string; dev: string; addr: string }, b: { ns: string; dev: string; addr: string }): void {
  execFileSync('ip', ['link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
  for (const side of [a, b]) {
    inNs(side.ns, ['ip', 'addr', 'add', `${side.addr}/24`, 'dev', side.dev]);
    inNs(side.ns, ['ip', 'link', 'set', side.dev, 'up']);
  }
}
