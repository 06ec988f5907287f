/** Sizes typed as a number and a binary unit (the API takes bytes). */

/** The units offered, largest last. */
export const sizeUnits = [
  { label: 'MiB', bytes: 1024 ** 2 },
  { label: 'GiB', bytes: 1024 ** 3 },
  { label: 'TiB', bytes: 1024 ** 4 },
] as const;

/** A unit's label. */
export type SizeUnit = (typeof sizeUnits)[number]['label'];

/** Bytes for `amount` of `unit`, or an error message when `amount` is not a positive number. */
export function toBytes(amount: string, unit: SizeUnit): number | string {
  const n = Number(amount.trim());
  if (!amount.trim() || !Number.isFinite(n) || n <= 0) return `'${amount}' is not a size; type a positive number, such as 10 or 1.5`;
  return Math.round(n * sizeUnits.find((u) => u.label === unit)!.bytes);
}

/** `bytes` in the largest unit that shows it as a whole number (or with one decimal), for prefilling a size input. */
export function fromBytes(bytes: number): { readonly amount: string; readonly unit: SizeUnit } {
  for (const u of [...sizeUnits].reverse()) {
    const v = bytes / u.bytes;
    if (v >= 1 && Number.isInteger(v * 10)) return { amount: String(v), unit: u.label };
  }
  return { amount: String(bytes / sizeUnits[0].bytes), unit: 'MiB' };
}
