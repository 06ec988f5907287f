/** The detach key of the interactive console: Ctrl-], as in telnet and `virsh console`. */

/** The byte a terminal in raw mode sends for Ctrl-]. */
export const escapeByte = 0x1d;

/** The hint printed when an interactive console attaches. */
export const detachHint = 'Ctrl-] to detach';

/** Splits typed input at the escape byte: the bytes to send to the guest, and whether to detach after them. */
export function splitAtEscape(chunk: Buffer): { readonly send: Buffer; readonly detach: boolean } {
  const at = chunk.indexOf(escapeByte);
  return at < 0 ? { send: chunk, detach: false } : { send: chunk.subarray(0, at), detach: true };
}
