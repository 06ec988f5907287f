/** Parsers for `herd alert rule add` options: durations (`30s`, `5m`) and thresholds (`80`, `2G`). */
import { InvalidArgumentError } from 'commander';
import { parseSize } from '@herd/api';

const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses `--for`: a whole number of seconds, or with a unit s, m, h or d (`30s`, `5m`, `1h`). */
export function parseDurationSeconds(text: string): number {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(text);
  if (!m) throw new InvalidArgumentError(`'${text}' is not a duration; use seconds or a unit, e.g. 30s, 5m, 1h`);
  const seconds = Number(m[1]) * units[m[2]!.toLowerCase()]!;
  if (seconds > 86_400) throw new InvalidArgumentError(`'${text}' is longer than a day, the longest a rule may wait`);
  return seconds;
}

/** Parses `--above`/`--below`: a number (`80`, `0.5`, `80%`) or a size for byte metrics (`2G`, `512M`). */
export function parseThreshold(text: string): number {
  const t = text.trim().replace(/%$/, '');
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  try {
    return parseSize(t);
  } catch {
    throw new InvalidArgumentError(`'${text}' is not a number or a size (e.g. 80, 0.5, 2G)`);
  }
}
