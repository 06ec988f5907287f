/**
 * Making strings safe to place on QEMU's command line. Most QEMU options are `key=value,...`
 * lists in which a literal comma must be doubled; a few (`-kernel`, `-append`, `-pidfile`,
 * `-uuid`) take their argument verbatim. Neither kind may contain NUL (argv cannot carry it) or a
 * newline (it would corrupt one-arg-per-line logs and golden files, and no legitimate path, name or
 * kernel command line needs one).
 */

/** Thrown when a value cannot be placed on QEMU's command line at all. */
export class UnsafeOptionValueError extends Error {
  constructor(readonly value: string) {
    super(`value ${JSON.stringify(value)} contains a NUL or newline character, which QEMU's command line cannot carry`);
    this.name = 'UnsafeOptionValueError';
  }
}

const FORBIDDEN = /[\0\n\r]/;

/**
 * Returns `v` unchanged for a verbatim QEMU argument (`-kernel`, `-append`, ...), or throws
 * {@link UnsafeOptionValueError} if it contains NUL, CR or LF. May be called anywhere; pure.
 */
export function checkVerbatimValue(v: string): string {
  if (FORBIDDEN.test(v)) throw new UnsafeOptionValueError(v);
  return v;
}

/**
 * Escapes `v` for use as the value in a QEMU `key=value,...` option (`-chardev path=`,
 * `-blockdev filename=`, `-name guest=`, ...) by doubling every comma, so that a path such as
 * `/srv/a,b.qcow2` cannot inject extra keys. Throws {@link UnsafeOptionValueError} for NUL, CR or
 * LF. May be called anywhere; pure.
 */
export function escapeOptionValue(v: string): string {
  return checkVerbatimValue(v).replaceAll(',', ',,');
}
