/**
 * Splitting QMP's byte stream into messages. QMP sends one JSON document per line, but a socket
 * read may end mid-line or hold several lines, so lines are reassembled here before parsing.
 */

/** Thrown by {@link LineSplitter.push} when a line grows beyond the limit (a broken or hostile peer). */
export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`line longer than ${limit} characters`);
    this.name = 'LineTooLongError';
  }
}

/** Reassembles newline-terminated lines from decoded text chunks. One instance per stream. */
export class LineSplitter {
  #partial = '';

  /** @param maxLineLength upper bound on a buffered line, so a peer cannot make us buffer forever. */
  constructor(readonly maxLineLength = 16 * 1024 * 1024) {}

  /**
   * Adds a chunk and returns the complete lines it finished (without the newline; `\r` is
   * stripped; blank lines are dropped). Throws {@link LineTooLongError} when the unfinished line
   * exceeds the limit.
   */
  push(chunk: string): string[] {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    if (this.#partial.length > this.maxLineLength) throw new LineTooLongError(this.maxLineLength);
    return parts.map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p)).filter((p) => p.trim() !== '');
  }
}
