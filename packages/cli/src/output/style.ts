/** Terminal colors: used only when the stream is a TTY and NO_COLOR is not set. */

const codes = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36, dim: 2, bold: 1 } as const;

/** A color name this module knows. */
export type Color = keyof typeof codes;

/** Matches the ANSI color sequences this CLI writes. */
const ansi = /\x1b\[[0-9;]*m/g;

/** Wraps `text` in a color when `enabled`; returns it unchanged otherwise. */
export function paint(text: string, color: Color | undefined, enabled: boolean): string {
  return enabled && color ? `\x1b[${codes[color]}m${text}\x1b[0m` : text;
}

/** Removes color sequences, for measuring and truncating. */
export function stripAnsi(text: string): string {
  return text.replace(ansi, '');
}

/** The number of terminal columns `text` takes (color sequences take none). */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

/** Whether to color output written to `stream`: a TTY, and NO_COLOR unset (https://no-color.org). */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

const stateColors: Readonly<Record<string, Color>> = {
  running: 'green',
  succeeded: 'green',
  ready: 'green',
  paused: 'yellow',
  pending: 'yellow',
  starting: 'cyan',
  stopping: 'cyan',
  error: 'red',
  failed: 'red',
  stopped: 'dim',
};

/** Colors a VM state, operation status or network state by what it means (green running, red error, ...). */
export function paintState(state: string, enabled: boolean): string {
  return paint(state, stateColors[state], enabled);
}
