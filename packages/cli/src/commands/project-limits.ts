/**
 * The quota options of `herd project create` and `herd project set-limits`: `--max-vms N`,
 * `--max-memory 8G`, ... in the units the API counts in, and `none` for no limit (null).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ProjectLimits } from '@herd/api';
import { parseDiskBytes, parseMemoryMiB, parseNonNegativeInt } from '../options.js';

const GiB = 1024 ** 3;

/**
 * A limit option's value: `none` clears the limit. (Not null: commander turns a parser's null
 * into an empty string.)
 */
export const noLimit = 'none';

/** A parsed limit option. */
export type LimitValue = number | typeof noLimit;

/** The limit options as commander parses them; absent when not given. */
export interface LimitOptions {
  readonly maxVms?: LimitValue;
  readonly maxVcpus?: LimitValue;
  readonly maxMemory?: LimitValue;
  readonly maxDisk?: LimitValue;
  readonly maxNetworks?: LimitValue;
}

/** `none` (any case) clears a limit. */
const isNone = (text: string): boolean => text.trim().toLowerCase() === noLimit;

/** Parses a count limit (`--max-vms 5`, `--max-vms none`). */
export function parseCountLimit(text: string): LimitValue {
  return isNone(text) ? noLimit : parseNonNegativeInt(text);
}

/** Parses a memory limit into MiB (`8G`, `512M`, a bare number is MiB, `none`). */
export function parseMemoryLimitMiB(text: string): LimitValue {
  return isNone(text) ? noLimit : parseMemoryMiB(text);
}

/** Parses a disk limit into GiB (`100G`, `1T`, a bare number is GiB, `none`); it must be whole GiB. */
export function parseDiskLimitGiB(text: string): LimitValue {
  if (isNone(text)) return noLimit;
  const bytes = parseDiskBytes(text);
  if (bytes % GiB !== 0) throw new InvalidArgumentError(`the disk limit must be a whole number of GiB; '${text}' is not`);
  return bytes / GiB;
}

/** Adds the `--max-*` options to `command`. */
export function addLimitOptions(command: Command): Command {
  return command
    .option('--max-vms <n>', 'at most this many VMs; none: no limit', parseCountLimit)
    .option('--max-vcpus <n>', 'at most this many vCPUs over all VMs; none: no limit', parseCountLimit)
    .option('--max-memory <size>', 'at most this much memory over all VMs, e.g. 8G or 512M (a bare number is MiB); none: no limit', parseMemoryLimitMiB)
    .option('--max-disk <size>', 'at most this much volume space (virtual size), whole GiB, e.g. 100G (a bare number is GiB); none: no limit', parseDiskLimitGiB)
    .option('--max-networks <n>', 'at most this many networks; none: no limit', parseCountLimit);
}

/** The limits the options give (only those given; null, from `none`, clears one), or undefined when none is. */
export function limitsFrom(opts: LimitOptions): ProjectLimits | undefined {
  const value = (v: LimitValue): number | null => (v === noLimit ? null : v);
  const limits: ProjectLimits = {
    ...(opts.maxVms !== undefined && { vms: value(opts.maxVms) }),
    ...(opts.maxVcpus !== undefined && { vcpus: value(opts.maxVcpus) }),
    ...(opts.maxMemory !== undefined && { memoryMiB: value(opts.maxMemory) }),
    ...(opts.maxDisk !== undefined && { diskGiB: value(opts.maxDisk) }),
    ...(opts.maxNetworks !== undefined && { networks: value(opts.maxNetworks) }),
  };
  return Object.keys(limits).length ? limits : undefined;
}
