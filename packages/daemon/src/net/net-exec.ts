/**
 * Where the network primitives run their commands: on the host, or inside a network namespace.
 * Every function in net/ takes a {@link NetExec} first, so the same code that changes the host's
 * networking in production runs unchanged inside a throwaway namespace in tests, and processes
 * it starts (dnsmasq) start in that namespace too.
 */
import { run, type ExecResult, type RunOptions } from '../host/exec.js';

/** Runs commands in one network namespace. */
export interface NetExec {
  /** The namespace's name, or undefined for the host's own networking. */
  readonly netns: string | undefined;
  /** Runs `command` with `args` to completion, like host/exec's `run()` (same options and errors). */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<ExecResult>;
}

/** Runs commands in the host's own network namespace: what the daemon uses. */
export const hostExec: NetExec = {
  netns: undefined,
  run: (command, args, options) => run(command, args, options),
};

// `ip netns` names are file names under /run/netns; keep them to what a test or operator would pick.
const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Runs commands inside network namespace `name` (`ip netns exec NAME ...`), which must exist.
 * For tests, which make their own namespaces and leave the host's networking alone. Throws
 * RangeError when `name` cannot be a namespace name.
 */
export function netnsExec(name: string): NetExec {
  if (!NETNS_NAME.test(name)) throw new RangeError(`'${name}' is not a network namespace name: use up to 64 letters, digits and _ . -`);
  return {
    netns: name,
    run: (command, args, options) => run('ip', ['netns', 'exec', name, command, ...args], options),
  };
}
