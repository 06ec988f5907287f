/**
 * Parsers for option and argument values, used by the commands before anything is sent to the
 * daemon. Option parsers throw commander's InvalidArgumentError (so commander names the option
 * and exits with the usage code); `checkName` throws a UsageError.
 */
import { InvalidArgumentError } from 'commander';
import { nameProblem, parseSize } from '@herd/api';
import { UsageError } from './errors.js';

const MiB = 1024 ** 2;

/** Parses `--memory` ("256M", "1G", a bare number means MiB) into whole MiB. */
export function parseMemoryMiB(text: string): number {
  const bytes = sizeOrThrow(text, 'm');
  if (bytes % MiB !== 0) throw new InvalidArgumentError(`memory must be a whole number of MiB; '${text}' is not`);
  return bytes / MiB;
}

/** Parses `--disk` ("1G", "512M", a bare number means GiB) into bytes. */
export function parseDiskBytes(text: string): number {
  return sizeOrThrow(text, 'g');
}

/** Parses a count that must be a positive integer (`--cpus`, `--bytes`). */
export function parsePositiveInt(text: string): number {
  const n = parseInteger(text);
  if (n < 1) throw new InvalidArgumentError(`'${text}' must be 1 or more`);
  return n;
}

/** Parses an integer that may be zero (`--timeout 0`, `--since 0`). */
export function parseNonNegativeInt(text: string): number {
  return parseInteger(text);
}

/** Checks a resource name (or id) given on the command line and returns it; throws a UsageError. */
export function checkName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new UsageError(problem);
  return name;
}

function parseInteger(text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new InvalidArgumentError(`'${text}' is not a whole number`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${text}' is too large`);
  return n;
}

function sizeOrThrow(text: string, defaultUnit: 'm' | 'g'): number {
  try {
    return parseSize(text, defaultUnit);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
