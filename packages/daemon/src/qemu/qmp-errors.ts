/**
 * The ways a QMP command or connection can fail, as distinct classes so callers can branch on
 * `instanceof` (a timeout is retried differently from a command QEMU refused).
 */

/** Why a QMP connection ended. */
export type QmpDisconnect =
  | { readonly reason: 'closed-by-peer' }
  | { readonly reason: 'closed-by-client' }
  | { readonly reason: 'error'; readonly error: Error };

/** QEMU answered a command with `{"error": {...}}`; `class` is QMP's error class (e.g. "CommandNotFound"). */
export class QmpCommandError extends Error {
  /** QMP's error class, e.g. "GenericError", "CommandNotFound", "DeviceNotFound". */
  readonly class: string;

  constructor(
    readonly command: string,
    errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP command ${command} failed: ${desc} (${errorClass})`);
    this.name = 'QmpCommandError';
    this.class = errorClass;
  }
}

/** No reply arrived within the command's (or the handshake's) timeout. The connection stays open. */
export class QmpTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`QMP command ${command} got no reply within ${timeoutMs} ms`);
    this.name = 'QmpTimeoutError';
  }
}

/** The connection ended (or was already closed) before the command's reply arrived. */
export class QmpDisconnectedError extends Error {
  constructor(
    readonly command: string,
    readonly disconnect: QmpDisconnect,
  ) {
    super(`QMP connection ${describeDisconnect(disconnect)} before ${command} completed`);
    this.name = 'QmpDisconnectedError';
  }
}

/** QEMU sent something that is not valid QMP, or a return value that does not match its schema. */
export class QmpProtocolError extends Error {
  constructor(detail: string) {
    super(`QMP protocol error: ${detail}`);
    this.name = 'QmpProtocolError';
  }
}

/** The QMP socket could not be connected to (missing, refused, or no greeting in time). */
export class QmpConnectError extends Error {
  constructor(
    readonly path: string,
    cause: Error,
  ) {
    super(`cannot connect to QMP socket ${path}: ${cause.message}`, { cause });
    this.name = 'QmpConnectError';
  }
}

/** Renders a {@link QmpDisconnect} for messages and logs. Pure. */
export function describeDisconnect(d: QmpDisconnect): string {
  switch (d.reason) {
    case 'closed-by-peer':
      return 'was closed by QEMU';
    case 'closed-by-client':
      return 'was closed by herd';
    case 'error':
      return `failed (${d.error.message})`;
  }
}
