/** Human sizes ("256M", "1G", "512MiB") for the CLI and the UI; the API itself takes integers. */

const units: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parses a size with a binary unit suffix into bytes; throws a message that says what is wrong. */
export function parseSize(text: string, defaultUnit: 'b' | 'm' | 'g' = 'b'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const factor = units[unit === '' ? defaultUnit : unit];
  if (!m || factor === undefined)
    throw new Error(`'${text}' is not a size; write a number with a unit, such as 512M or 2G`);
  return Math.round(Number(m[1]) * factor);
}

/** Formats a byte count for people: 1.5 GiB, 256 MiB. */
export function formatSize(bytes: number): string {
  const steps = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < steps.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${steps[i]}`;
}
